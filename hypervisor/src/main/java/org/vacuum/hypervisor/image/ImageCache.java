package org.vacuum.hypervisor.image;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.protocol.VacuumVersion;

/**
 * Local copies of remote root images (reference/vac.md §2.8, "Remote images"), so a machine
 * starts from a file and an unchanged image is downloaded once.
 *
 * <p>{@link #fetch} keeps one file per URL in {@code <stateDir>/imagecache}, named by the URL
 * percent-encoded with no safe characters, and its mtime is the server's {@code Last-Modified}.
 * Every fetch asks the server: with {@code If-Modified-Since} = that mtime when a copy exists, and
 * a 304 answer reuses it. A new copy is downloaded to {@code <stateDir>/tmp} and renamed over the
 * old one, so a reader never sees half a file and a failed download leaves the old copy (and no
 * temporary file). The server must send {@code Last-Modified}, else the fetch fails, as Vac's.
 * Redirects are followed (not from https to http); the server has 120 s to answer. Concurrent
 * fetches of one URL are serialised, so the second one is a cheap conditional request.
 */
public final class ImageCache {

  /** How long the server has to answer, as Vac's. */
  public static final Duration TIMEOUT = Duration.ofSeconds(120);

  private static final Logger log = LoggerFactory.getLogger(ImageCache.class);
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

  private final Path cacheDir;
  private final Path tmpDir;
  private final HttpClient http;
  private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

  public ImageCache(Path stateDir) {
    this.cacheDir = stateDir.resolve("imagecache");
    this.tmpDir = stateDir.resolve("tmp");
    this.http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(TIMEOUT)
        .build();
  }

  /** True if {@code rootImage} names a remote image this cache fetches, rather than a local file. */
  public static boolean isRemote(String rootImage) {
    String lower = rootImage.toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** Where the copy of {@code url} is kept, fetched or not. */
  public Path cachePath(String url) {
    return cacheDir.resolve(encode(url));
  }

  /**
   * The local copy of the image at {@code url}, brought up to date with the server.
   *
   * @throws IOException naming the URL, if the server cannot be reached, answers other than 200
   *     or 304, or sends no {@code Last-Modified}
   */
  public Path fetch(String url) throws IOException {
    if (!isRemote(url)) {
      throw new IOException("root image " + url + " is not an http:// or https:// URL");
    }
    synchronized (locks.computeIfAbsent(url, u -> new Object())) {
      return fetchLocked(url);
    }
  }

  private Path fetchLocked(String url) throws IOException {
    Path cached = cachePath(url);
    Files.createDirectories(cacheDir);
    Files.createDirectories(tmpDir);
    HttpRequest.Builder request;
    try {
      request = HttpRequest.newBuilder(URI.create(url)).GET().timeout(TIMEOUT)
          .header("User-Agent", VacuumVersion.vacVersion());
    } catch (IllegalArgumentException e) {
      throw new IOException("root image " + url + " is not a valid URL: " + e.getMessage(), e);
    }
    boolean haveCopy = Files.isRegularFile(cached);
    if (haveCopy) {
      Instant mtime = Files.getLastModifiedTime(cached).toInstant();
      request.header("If-Modified-Since", HTTP_DATE.format(mtime.atZone(ZoneOffset.UTC)));
    }
    Path part = Files.createTempFile(tmpDir, "image-", ".part");
    try {
      HttpResponse<Path> response = http.send(request.build(), HttpResponse.BodyHandlers.ofFile(part));
      int status = response.statusCode();
      if (status == 304 && haveCopy) {
        log.debug("root image {} unchanged, using {}", url, cached);
        return cached;
      }
      if (status != 200) {
        throw new IOException("fetching root image " + url + ": HTTP " + status);
      }
      Optional<String> lastModified = response.headers().firstValue("Last-Modified");
      if (lastModified.isEmpty()) {
        throw new IOException("fetching root image " + url + ": the server sent no Last-Modified header,"
            + " which the image cache needs to know when the image changes");
      }
      Files.setLastModifiedTime(part, FileTime.from(parseHttpDate(url, lastModified.get())));
      Files.move(part, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      log.info("fetched root image {} ({} bytes, Last-Modified {}) into {}", url, Files.size(cached),
          lastModified.get(), cached);
      return cached;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("fetching root image " + url + ": interrupted", e);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().contains(url)) {
        throw e;
      }
      throw new IOException("fetching root image " + url + ": " + e, e);
    } finally {
      Files.deleteIfExists(part);
    }
  }

  private static Instant parseHttpDate(String url, String value) throws IOException {
    try {
      return ZonedDateTime.parse(value.trim(), HTTP_DATE).toInstant();
    } catch (DateTimeParseException e) {
      throw new IOException("fetching root image " + url + ": Last-Modified '" + value + "' is not an HTTP date", e);
    }
  }

  /**
   * Percent-encodes every byte of the URL's UTF-8 form except letters, digits and {@code _.-~}
   * (Python's {@code quote(url, safe='')}, which Vac uses), so the cache file names of Vac and
   * vacuum agree and a URL can never name a path outside the cache.
   */
  static String encode(String url) {
    StringBuilder out = new StringBuilder();
    for (byte b : url.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "_.-~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }
}
