package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The CLI's side of a node's admin HTTP API. Failures come back as {@link Failure} carrying the
 * exit code and one line for the operator.
 */
final class AdminClient {

  /** A request that did not succeed: the exit code and what to print. */
  static final class Failure extends Exception {
    final int exitCode;

    Failure(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }
  }

  /** A response the node gave: status code and body, parsed as JSON when it is JSON. */
  record Answer(int status, String body, JsonNode json) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  AdminClient(String url) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The node's admin URL, as given. */
  String url() {
    return url;
  }

  Answer get(String path) throws Failure {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  Answer putForm(String path, String form) throws Failure {
    return send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .PUT(HttpRequest.BodyPublishers.ofString(form)));
  }

  /** Sends {@code body} as JSON with {@code method} (POST, PATCH, ...). */
  Answer sendJson(String method, String path, JsonNode body) throws Failure {
    return send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  Answer delete(String path) throws Failure {
    return send(HttpRequest.newBuilder(uri(path)).DELETE());
  }

  /** The answer's JSON if its status is one of {@code ok}; else a {@link Failure} naming the error. */
  JsonNode expect(Answer answer, String what, int... ok) throws Failure {
    for (int status : ok) {
      if (answer.status() == status && answer.json() != null) return answer.json();
    }
    throw new Failure(ExitCodes.FAILED, what + ": " + answer.status() + ": " + errorText(answer));
  }

  /** GET that must answer 200 with JSON; anything else is a {@link Failure} naming the error. */
  JsonNode getJson(String path) throws Failure {
    Answer answer = get(path);
    if (answer.status() != 200 || answer.json() == null) {
      throw new Failure(ExitCodes.FAILED, url + path + " answered " + answer.status() + ": " + errorText(answer));
    }
    return answer.json();
  }

  /**
   * GETs a stream of lines (NDJSON) and hands each to {@code line} as it arrives, so a long answer
   * is never held whole. A status other than 200 is a {@link Failure} naming the error.
   */
  void streamLines(String path, java.util.function.Consumer<String> line) throws Failure {
    HttpRequest request = HttpRequest.newBuilder(uri(path)).GET().build();
    try {
      HttpResponse<java.util.stream.Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
      try (java.util.stream.Stream<String> lines = response.body()) {
        if (response.statusCode() != 200) {
          String body = String.join("\n", lines.toList());
          JsonNode json = response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")
              ? JSON.readTree(body) : null;
          throw new Failure(ExitCodes.FAILED, url + path + " answered " + response.statusCode() + ": "
              + errorText(new Answer(response.statusCode(), body, json)));
        }
        lines.filter(l -> !l.isBlank()).forEach(line);
      }
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new Failure(ExitCodes.UNREACHABLE, "cannot reach the vacuum node at " + url
          + " (is it running? is --url right?)");
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new Failure(ExitCodes.UNREACHABLE, "talking to " + url + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure(ExitCodes.FAILED, "interrupted");
    }
  }

  static String errorText(Answer answer) {
    if (answer.json() != null && answer.json().has("error")) return answer.json().get("error").asText();
    if (answer.json() != null && answer.json().has("message")) return answer.json().get("message").asText();
    return answer.body().strip();
  }

  private URI uri(String path) throws Failure {
    try {
      return URI.create(url + path);
    } catch (IllegalArgumentException e) {
      throw new Failure(ExitCodes.USAGE, "--url " + url + " is not a URL: " + e.getMessage());
    }
  }

  private Answer send(HttpRequest.Builder request) throws Failure {
    HttpRequest built = request.timeout(Duration.ofSeconds(60)).build();
    try {
      HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
      JsonNode json = null;
      if (response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
        json = JSON.readTree(response.body());
      }
      return new Answer(response.statusCode(), response.body(), json);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new Failure(ExitCodes.UNREACHABLE, "cannot reach the vacuum node at " + url
          + " (is it running? is --url right?)");
    } catch (IOException e) {
      throw new Failure(ExitCodes.UNREACHABLE, "talking to " + url + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure(ExitCodes.FAILED, "interrupted");
    }
  }
}
