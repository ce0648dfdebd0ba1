package org.vacuum.batch.submit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.batch.submit.PilotBootstrap.Environment;

class PilotBootstrapTest {

  private static final String QUEUE = "c1.workers.alice.site";
  @TempDir Path root;
  private final LocalSubmitter submitter =
      new LocalSubmitter(Duration.ofSeconds(2), Duration.ofHours(1), Clock.systemUTC());

  @AfterEach
  void close() {
    submitter.close();
  }

  private static PilotBootstrap.WorkQueueWorker worker(Optional<String> catalog, OptionalInt linger) {
    return new PilotBootstrap.WorkQueueWorker("10.0.0.5", 9123, "c1", catalog,
        "pw".getBytes(StandardCharsets.UTF_8), 4, 8192, 20000, linger);
  }

  private static Environment env(String name, List<String> packages, Optional<String> os,
      List<String> extra, Optional<String> command) {
    return new Environment(name, Map.of("A", name), Map.of(), packages, os, extra, command);
  }

  @Test
  void workQueueWorkerCommandLineByManagerAddress() {
    assertEquals(List.of("work_queue_worker", "--cores", "4", "--memory", "8192", "--disk",
            "20000", "--password", "workqueue.secret", "--timeout", "7200", "--workdir", ".",
            "--single-shot", "10.0.0.5", "9123"),
        PilotBootstrap.workQueueWorkerCommand(worker(Optional.empty(), OptionalInt.empty()),
            List.of("--single-shot")));
  }

  @Test
  void workQueueWorkerFindsManagerByProjectThroughCatalogWithLingertime() {
    assertEquals(List.of("work_queue_worker", "--cores", "4", "--memory", "8192", "--disk",
            "20000", "--password", "workqueue.secret", "--timeout", "600", "--workdir", ".",
            "-M", "c1", "--catalog", "cat.example.org:9097"),
        PilotBootstrap.workQueueWorkerCommand(
            worker(Optional.of("cat.example.org:9097"), OptionalInt.of(600)), List.of()));
  }

  @Test
  void specStagesScriptPasswordAndFilesAndSetsVariablesLaterEnvironmentWinning() {
    Environment first = new Environment("e1", Map.of("X", "1", "Y", "1"),
        Map.of("data.txt", new byte[] {1}), List.of("cctools"), Optional.empty(), List.of(),
        Optional.empty());
    Environment second = Environment.ofEnvmap("e2", Map.of("Y", "2"));

    PilotSpec spec = PilotBootstrap.build(QUEUE, root, List.of(first, second),
        worker(Optional.empty(), OptionalInt.empty()));

    assertEquals(List.of("/bin/sh", "vacuum-pilot.sh"), spec.command());
    assertEquals(Map.of("VC3_REQUESTID", "c1", "VC3_QUEUE", QUEUE, "X", "1", "Y", "2"),
        spec.environment());
    assertArrayEquals("pw".getBytes(StandardCharsets.UTF_8), spec.files().get("workqueue.secret"));
    assertArrayEquals(new byte[] {1}, spec.files().get("data.txt"));
    String script = new String(spec.files().get("vacuum-pilot.sh"), StandardCharsets.UTF_8);
    assertTrue(script.contains("present 'work_queue_worker' ||"), script);
    assertTrue(script.endsWith("exec 'work_queue_worker' '--cores' '4' '--memory' '8192' '--disk'"
        + " '20000' '--password' 'workqueue.secret' '--timeout' '7200' '--workdir' '.'"
        + " '10.0.0.5' '9123'\n"), script);
  }

  @Test
  void sameFileFromTwoEnvironmentsIsRejected() {
    Environment a = new Environment("a", Map.of(), Map.of("f", new byte[0]), List.of(),
        Optional.empty(), List.of(), Optional.empty());
    Environment b = new Environment("b", Map.of(), Map.of("f", new byte[0]), List.of(),
        Optional.empty(), List.of(), Optional.empty());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PilotBootstrap.build(QUEUE, root, List.of(a, b), new PilotBootstrap.Generic()));
    assertTrue(e.getMessage().contains("environment b stages 'f'"), e.getMessage());
  }

  @Test
  void genericWithoutCommandIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PilotBootstrap.build(QUEUE, root, List.of(Environment.ofEnvmap("e", Map.of())),
            new PilotBootstrap.Generic()));
    assertTrue(e.getMessage().contains("needs a command"), e.getMessage());
  }

  private String run(PilotSpec spec, int expectedExit) throws Exception {
    PilotId id = submitter.submit(spec, 1).get(0);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!submitter.status(QUEUE).get(id).isDone()) {
      assertTrue(System.nanoTime() < deadline, "pilot did not end");
      Thread.sleep(20);
    }
    PilotInfo info = submitter.status(QUEUE).get(id);
    Path sandbox = root.resolve(QUEUE).resolve(id.name());
    String out = Files.readString(sandbox.resolve("stdout"))
        + Files.readString(sandbox.resolve("stderr"));
    assertEquals(Optional.of(expectedExit), info.exitCode(), out);
    return out;
  }

  @Test
  void genericPilotRunsTheCommandWithVariablesAndExtraArgs() throws Exception {
    Environment e = new Environment("e", Map.of("WHO", "vacuum"),
        Map.of("in.txt", "staged".getBytes(StandardCharsets.UTF_8)), List.of("sh"),
        Optional.of(osOfThisHost()), List.of("it's", "two"),
        Optional.of("echo \"$WHO $VC3_QUEUE $(cat in.txt)\" \"$@\"; echo"));
    // The extra args are appended to the command line, here to its last echo.
    assertEquals("vacuum " + QUEUE + " staged\nit's two\n",
        run(PilotBootstrap.build(QUEUE, root, List.of(e), new PilotBootstrap.Generic()), 0));
  }

  @Test
  void missingPackageFailsThePilotWithAClearMessage() throws Exception {
    Environment e = new Environment("e", Map.of(), Map.of(), List.of("no-such-tool-xyz"),
        Optional.empty(), List.of(), Optional.of("echo should not run"));
    String out = run(PilotBootstrap.build(QUEUE, root, List.of(e), new PilotBootstrap.Generic()),
        127);
    assertTrue(out.contains("of queue " + QUEUE + " on "), out);
    assertTrue(out.contains("required package no-such-tool-xyz is missing: no command"
        + " no-such-tool-xyz on PATH="), out);
    assertTrue(!out.contains("should not run"), out);
  }

  @Test
  void wrongOsFailsThePilotAndMatchingRangesPass() throws Exception {
    Environment wrong = new Environment("e", Map.of(), Map.of(), List.of(),
        Optional.of("plan9:4"), List.of(), Optional.of("echo ran"));
    String out = run(PilotBootstrap.build(QUEUE, root, List.of(wrong),
        new PilotBootstrap.Generic()), 127);
    assertTrue(out.contains("required OS plan9:4 but this host is " + osOfThisHost()), out);

    String id = osOfThisHost().split(":")[0];
    for (String os : List.of(id, id + ":v1", id + ":1:999", osOfThisHost())) {
      Environment ok = new Environment("e", Map.of(), Map.of(), List.of(), Optional.of(os),
          List.of(), Optional.of("echo ran"));
      assertEquals("ran\n", run(PilotBootstrap.build(QUEUE, root, List.of(ok),
          new PilotBootstrap.Generic()), 0), os);
    }
    Environment tooNew = new Environment("e", Map.of(), Map.of(), List.of(),
        Optional.of(id + ":999"), List.of(), Optional.of("echo ran"));
    run(PilotBootstrap.build(QUEUE, root, List.of(tooNew), new PilotBootstrap.Generic()), 127);
  }

  private static String osOfThisHost() throws Exception {
    Map<String, String> fields = new java.util.HashMap<>();
    for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
      }
    }
    return fields.get("ID") + ":" + fields.get("VERSION_ID");
  }
}
