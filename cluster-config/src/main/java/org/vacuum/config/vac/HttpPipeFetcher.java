package org.vacuum.config.vac;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Fetches pipes as Vac's {@code readPipe} did (reference/vac.md §7.2): HTTP(S) with redirects
 * followed, certificates verified by the JDK's trust store, a 30-s limit for the whole answer; and
 * also {@code file:} URLs, which a site can use for a pipe it mirrors itself.
 *
 * <p>Contract: a 2xx answer's body is returned; any other status, a body larger than {@value
 * #MAX_BYTES} bytes, a timeout or another scheme throws {@link IOException} saying which.
 */
public final class HttpPipeFetcher implements PipeFetcher {

  /** Vac's limit for fetching a pipe. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  // A pipe lists a few machinetypes; anything this large is not one.
  static final int MAX_BYTES = 4 * 1024 * 1024;

  private final HttpClient client;
  private final Duration timeout;

  public HttpPipeFetcher() {
    this(CONNECT_TIMEOUT, TIMEOUT);
  }

  HttpPipeFetcher(Duration connectTimeout, Duration timeout) {
    this.client = HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        // NORMAL never downgrades https to http.
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    this.timeout = timeout;
  }

  @Override
  public byte[] fetch(String url) throws IOException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IOException("not a URL: " + e.getMessage(), e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    return switch (scheme) {
      case "http", "https" -> http(uri);
      case "file" -> file(uri);
      default -> throw new IOException("only http://, https:// and file: pipe URLs can be fetched");
    };
  }

  private byte[] http(URI uri) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("User-Agent", "vacuum (Vac pipes)")
        .header("Accept", "application/json, */*")
        .GET()
        .build();
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new IOException("no answer within " + timeout.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (IOException e) {
      throw new IOException(e.getMessage() == null ? e.getClass().getSimpleName() : e.toString(), e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() / 100 != 2) {
        throw new IOException("HTTP status " + response.statusCode());
      }
      return limited(body);
    }
  }

  private static byte[] file(URI uri) throws IOException {
    Path path;
    try {
      path = Path.of(uri);
    } catch (IllegalArgumentException e) {
      throw new IOException("not a local file URL (write file:/path/to/pipe): " + e.getMessage(), e);
    }
    try (InputStream in = Files.newInputStream(path)) {
      return limited(in);
    } catch (NoSuchFileException e) {
      throw new IOException(path + " does not exist", e);
    }
  }

  private static byte[] limited(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes(MAX_BYTES + 1);
    if (bytes.length > MAX_BYTES) {
      throw new IOException("more than " + MAX_BYTES + " bytes: not a pipe");
    }
    return bytes;
  }
}
