package org.vacuum.hypervisor.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.protocol.VacuumVersion;

class ImageCacheTest {

  @TempDir Path stateDir;
  private HttpServer server;
  private String base;
  private ImageCache cache;

  // What the server serves at /images/root.img; a null lastModified sends no Last-Modified.
  private volatile byte[] content = "image one".getBytes(StandardCharsets.UTF_8);
  private volatile Instant lastModified = Instant.parse("2024-03-01T10:00:00Z");
  private volatile int failWith;
  private final List<String> answers = new CopyOnWriteArrayList<>();
  private final List<String> ifModifiedSince = new CopyOnWriteArrayList<>();
  private final List<String> userAgents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/images/root.img", this::serveImage);
    server.createContext("/moved", exchange -> {
      exchange.getResponseHeaders().add("Location", base + "/images/root.img");
      exchange.sendResponseHeaders(302, -1);
      exchange.close();
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
    cache = new ImageCache(stateDir);
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private void serveImage(HttpExchange exchange) throws IOException {
    userAgents.add(exchange.getRequestHeaders().getFirst("User-Agent"));
    String since = exchange.getRequestHeaders().getFirst("If-Modified-Since");
    ifModifiedSince.add(String.valueOf(since));
    if (failWith != 0) {
      answers.add(String.valueOf(failWith));
      exchange.sendResponseHeaders(failWith, -1);
    } else if (since != null && lastModified != null
        && !lastModified.isAfter(ZonedDateTime.parse(since, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant())) {
      answers.add("304");
      exchange.sendResponseHeaders(304, -1);
    } else {
      answers.add("200");
      if (lastModified != null) {
        exchange.getResponseHeaders().add("Last-Modified", httpDate(lastModified));
      }
      exchange.sendResponseHeaders(200, content.length);
      exchange.getResponseBody().write(content);
    }
    exchange.close();
  }

  @Test
  void firstFetchKeepsTheImageUnderItsEncodedUrlWithTheServersLastModified() throws Exception {
    String url = base + "/images/root.img";

    Path image = cache.fetch(url);

    assertEquals(stateDir.resolve("imagecache").resolve(ImageCache.encode(url)), image);
    assertEquals(stateDir.resolve("imagecache/http%3A%2F%2F127.0.0.1%3A" + server.getAddress().getPort()
        + "%2Fimages%2Froot.img"), image);
    assertArrayEquals(content, Files.readAllBytes(image));
    assertEquals(lastModified, Files.getLastModifiedTime(image).toInstant());
    assertEquals(List.of("null"), ifModifiedSince, "nothing cached, so an unconditional GET");
    assertEquals(List.of("vacuum " + VacuumVersion.VERSION), userAgents);
    assertNoTemporaryFiles();
  }

  @Test
  void anUnchangedImageIsReusedAfterA304() throws Exception {
    String url = base + "/images/root.img";
    Path first = cache.fetch(url);

    Path second = cache.fetch(url);

    assertEquals(first, second);
    assertEquals(List.of("200", "304"), answers);
    assertEquals(httpDate(lastModified), ifModifiedSince.get(1));
    assertArrayEquals("image one".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(second));
    assertNoTemporaryFiles();
  }

  @Test
  void aChangedImageIsFetchedAgain() throws Exception {
    String url = base + "/images/root.img";
    cache.fetch(url);
    content = "image two, longer".getBytes(StandardCharsets.UTF_8);
    lastModified = Instant.parse("2024-04-01T08:30:00Z");

    Path image = cache.fetch(url);

    assertEquals(List.of("200", "200"), answers);
    assertArrayEquals(content, Files.readAllBytes(image));
    assertEquals(lastModified, Files.getLastModifiedTime(image).toInstant());
  }

  @Test
  void anImageWithoutLastModifiedIsRefusedNamingTheUrl() throws Exception {
    lastModified = null;
    String url = base + "/images/root.img";

    IOException e = assertThrows(IOException.class, () -> cache.fetch(url));

    assertTrue(e.getMessage().contains(url) && e.getMessage().contains("Last-Modified"), e.getMessage());
    assertFalse(Files.exists(cache.cachePath(url)));
    assertNoTemporaryFiles();
  }

  @Test
  void aMissingImageIsAnErrorNamingTheUrlAndStatus() throws Exception {
    String url = base + "/no/such.img";

    IOException e = assertThrows(IOException.class, () -> cache.fetch(url));

    assertEquals("fetching root image " + url + ": HTTP 404", e.getMessage());
    assertFalse(Files.exists(cache.cachePath(url)));
    assertNoTemporaryFiles();
  }

  @Test
  void aFailedRefreshKeepsTheCopyItHad() throws Exception {
    String url = base + "/images/root.img";
    Path image = cache.fetch(url);
    failWith = 500;

    IOException e = assertThrows(IOException.class, () -> cache.fetch(url));

    assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
    assertArrayEquals("image one".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(image));
    assertEquals(lastModified, Files.getLastModifiedTime(image).toInstant());
  }

  @Test
  void redirectsAreFollowedAndTheCopyIsKeptUnderTheAskedUrl() throws Exception {
    Path image = cache.fetch(base + "/moved");

    assertEquals(cache.cachePath(base + "/moved"), image);
    assertArrayEquals(content, Files.readAllBytes(image));
  }

  @Test
  void urlsAreEncodedWithNoSafeCharacters() {
    assertEquals("https%3A%2F%2Frepo.example.org%2Fa%20b%2Fcern%C3%A9.iso%3Fv%3D1~x_y-z",
        ImageCache.encode("https://repo.example.org/a b/cerné.iso?v=1~x_y-z"));
    assertTrue(ImageCache.isRemote("HTTPS://x/y"));
    assertFalse(ImageCache.isRemote("/var/lib/vac/images/root.img"));
    assertThrows(IOException.class, () -> cache.fetch("ftp://example.org/root.img"));
  }

  private void assertNoTemporaryFiles() throws IOException {
    try (var files = Files.list(stateDir.resolve("tmp"))) {
      assertEquals(List.of(), files.toList());
    }
  }

  private static String httpDate(Instant instant) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(instant.atZone(ZoneOffset.UTC));
  }
}
