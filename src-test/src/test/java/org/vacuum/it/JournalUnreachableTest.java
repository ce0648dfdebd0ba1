package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.node.StartupException;

/**
 * A node whose journal does not answer is not ready, and does not come up half-way: once
 * journal-timeout has passed it stops and says which journal did not answer.
 */
class JournalUnreachableTest {

  @TempDir Path stateDir;

  @Test
  void aCassandraJournalThatDoesNotAnswerKeepsTheNodeUnreadyThenStopsStartWithItsAddress() throws Exception {
    int nothingThere = TestNodes.freePort();
    int adminPort = TestNodes.freePort();
    Map<String, Object> settings = TestNodes.settings("j1", stateDir, TestNodes.freePort(), List.of());
    settings.put("vacuum.journal", "cassandra");
    settings.put("vacuum.cassandra.contact-points", List.of("127.0.0.1:" + nothingThere));
    settings.put("vacuum.journal-timeout", "6s");
    settings.put("vacuum.admin.port", adminPort);

    CompletableFuture<Void> start = CompletableFuture.runAsync(() -> {
      try {
        TestNodes.start(settings).close();
      } catch (StartupException e) {
        throw new RuntimeException(e);
      }
    });

    // While start-up waits for the journal the member is Up, so the cluster-membership check passes and a
    // /ready "no" can only be the journal check.
    HttpClient http = HttpClient.newHttpClient();
    TestNodes.await(Duration.ofSeconds(6), "the member is Up during start-up", () -> {
      try {
        String members = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/cluster/members"))
            .build(), HttpResponse.BodyHandlers.ofString()).body();
        return members.contains("\"status\":\"Up\"");
      } catch (Exception notYet) {
        return false;
      }
    });
    HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(500, ready.statusCode(), "not ready while the journal does not answer: " + ready.body());

    ExecutionException failed = assertThrows(ExecutionException.class, () -> start.get(30, TimeUnit.SECONDS));
    String message = failed.getCause().getCause().getMessage();
    assertTrue(failed.getCause().getCause() instanceof StartupException, String.valueOf(failed.getCause()));
    assertTrue(message.startsWith("the Cassandra journal at [127.0.0.1:" + nothingThere + "] (keyspace vacuum)"
        + " did not accept factory j1.example.com's registration within 6 s"), message);
  }
}
