package org.vacuum.hypervisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineDirectoryTest {

  private static final UUID ID = UUID.fromString("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
  private static final long CREATED = 1_700_000_000L;

  @TempDir Path stateDir;
  private Path machines;

  @BeforeEach
  void setUp() {
    machines = stateDir.resolve("machines");
  }

  private MachineDirectory create() throws IOException {
    return MachineDirectory.create(machines, CREATED, "lhcb", "f1-05.example.com");
  }

  @Test
  void createMakesVacsLayoutWithDirectoryModes0755() throws IOException {
    MachineDirectory dir = create();

    assertEquals(machines.resolve("1700000000_lhcb_f1-05.example.com"), dir.path());
    for (Path p : new Path[] {dir.path(), dir.machinefeatures(), dir.jobfeatures(), dir.joboutputs()}) {
      assertTrue(Files.isDirectory(p), p + " is a directory");
      assertEquals("rwxr-xr-x", mode(p), p.toString());
    }
    assertTrue(Files.isDirectory(stateDir.resolve("tmp")), "the temporary directory for atomic writes exists");
    assertEquals(dir.path().resolve("console.log"), dir.consoleLog());
    assertEquals(dir.path().resolve("user_data"), dir.userDataFile());
    assertEquals(dir.path().resolve("root_public_key"), dir.rootPublicKeyFile());
  }

  @Test
  void createIsRepeatableAndOpenParsesTheDirectoryName() throws IOException {
    create();
    MachineDirectory again = create();
    MachineDirectory opened = MachineDirectory.open(again.path());

    assertEquals(again, opened);
    assertEquals(CREATED, opened.created());
    assertEquals("lhcb", opened.machinetype());
    assertEquals("f1-05.example.com", opened.machineName());
  }

  @Test
  void createRejectsNamesThatCannotBeParsedBack() {
    assertThrows(IllegalArgumentException.class, () -> MachineDirectory.create(machines, CREATED, "lhcb_prod", "f1-05.example.com"));
    assertThrows(IllegalArgumentException.class, () -> MachineDirectory.create(machines, CREATED, "lhcb", "f1_05.example.com"));
    assertThrows(IllegalArgumentException.class, () -> MachineDirectory.create(machines, CREATED, "lhcb", "../etc"));
  }

  @Test
  void writeFeaturesWritesEveryKeyForOneProcessorWithHs06() throws IOException {
    MachineDirectory dir = create();
    dir.writeFeatures(new MachineFeatures(ID, 1, CREATED, CREATED + 86400, 10.0, 2048, Map.of()));

    assertEquals(Map.of(
        "hs06", "10.0",
        "total_cpu", "1",
        "phys_cores", "1",
        "log_cores", "1",
        "jobslots", "1",
        "shutdowntime", "1700086400"), contents(dir.machinefeatures()));
    Map<String, String> job = new TreeMap<>();
    job.put("shutdowntime_job", "1700086400");
    job.put("wall_limit_secs", "86400");
    job.put("wall_limit_secs_lrms", "86400");
    job.put("cpu_limit_secs", "86400");
    job.put("cpu_limit_secs_lrms", "86400");
    job.put("cpufactor_lrms", "1.0");
    job.put("jobstart_secs", "1700000000");
    job.put("hs06_job", "10.0");
    job.put("max_rss_bytes", "2147483648");
    job.put("mem_limit_MB", "2147");
    job.put("allocated_cpu", "1\n");
    job.put("allocated_CPU", "1\n");
    job.put("job_id", ID.toString());
    assertEquals(job, contents(dir.jobfeatures()));
    assertEveryFileHasMode0644(dir);
    assertNoTemporaryFilesLeft();
  }

  @Test
  void writeFeaturesWithoutHs06LeavesOutBothHs06Keys() throws IOException {
    MachineDirectory dir = create();
    dir.writeFeatures(new MachineFeatures(ID, 1, CREATED, CREATED + 3600, null, 2048, null));

    assertFalse(Files.exists(dir.machinefeatures().resolve("hs06")));
    assertFalse(Files.exists(dir.jobfeatures().resolve("hs06_job")));
    assertEquals(5, contents(dir.machinefeatures()).size());
    assertEquals(12, contents(dir.jobfeatures()).size());
    assertEquals("3600", contents(dir.jobfeatures()).get("wall_limit_secs"));
  }

  @Test
  void writeFeaturesScalesWithProcessors() throws IOException {
    MachineDirectory dir = create();
    dir.writeFeatures(new MachineFeatures(ID, 4, CREATED, CREATED + 1000, 12.5, 3000, Map.of()));

    Map<String, String> machine = contents(dir.machinefeatures());
    Map<String, String> job = contents(dir.jobfeatures());
    assertEquals("50.0", machine.get("hs06"));
    assertEquals("4", machine.get("total_cpu"));
    assertEquals("4", machine.get("phys_cores"));
    assertEquals("4", machine.get("log_cores"));
    assertEquals("1", machine.get("jobslots"));
    assertEquals("50.0", job.get("hs06_job"));
    assertEquals("1000", job.get("wall_limit_secs"));
    assertEquals("4000", job.get("cpu_limit_secs"));
    assertEquals("4000", job.get("cpu_limit_secs_lrms"));
    // 3000 MiB x 4 in bytes, and that in (truncated) decimal MB.
    assertEquals("12582912000", job.get("max_rss_bytes"));
    assertEquals("12582", job.get("mem_limit_MB"));
    assertEquals("4\n", job.get("allocated_cpu"));
    assertEquals("4\n", job.get("allocated_CPU"));
  }

  @Test
  void wallLimitIsNeverNegative() throws IOException {
    MachineDirectory dir = create();
    dir.writeFeatures(new MachineFeatures(ID, 2, CREATED, CREATED - 50, null, 2048, Map.of()));

    assertEquals("0", contents(dir.jobfeatures()).get("wall_limit_secs"));
    assertEquals("0", contents(dir.jobfeatures()).get("cpu_limit_secs"));
    assertEquals("1699999950", contents(dir.machinefeatures()).get("shutdowntime"));
  }

  @Test
  void machinefeaturesOptionsBecomeExtraKeys() throws IOException {
    MachineDirectory dir = create();
    dir.writeFeatures(new MachineFeatures(ID, 1, CREATED, CREATED + 60, null, 2048,
        Map.of("grace_secs", "120", "site_name", "UKI-EXAMPLE")));

    Map<String, String> machine = contents(dir.machinefeatures());
    assertEquals("120", machine.get("grace_secs"));
    assertEquals("UKI-EXAMPLE", machine.get("site_name"));
    assertEquals(7, machine.size());
    assertFalse(Files.exists(dir.jobfeatures().resolve("grace_secs")));
  }

  @Test
  void machinefeaturesOptionWithAPathIsRefused() throws IOException {
    MachineDirectory dir = create();
    assertThrows(IllegalArgumentException.class, () -> dir.writeFeatures(
        new MachineFeatures(ID, 1, CREATED, CREATED + 60, null, 2048, Map.of("../user_data", "x"))));
  }

  @Test
  void hs06IsWrittenAsPythonWritesAFloat() {
    assertEquals("10.0", MachineDirectory.pythonFloat(10.0));
    assertEquals("31.5", MachineDirectory.pythonFloat(10.5 * 3));
    assertEquals("0.30000000000000004", MachineDirectory.pythonFloat(0.1 * 3));
    assertEquals("10000000.0", MachineDirectory.pythonFloat(1e7));
    assertEquals("0.00015", MachineDirectory.pythonFloat(1.5e-4));
  }

  @Test
  void lowerShutdownTimeRewritesBothKeysButNeverExtends() throws IOException {
    MachineDirectory dir = create();
    dir.writeFeatures(new MachineFeatures(ID, 1, CREATED, CREATED + 86400, null, 2048, Map.of()));

    dir.lowerShutdownTime(CREATED + 600);
    assertEquals("1700000600", contents(dir.machinefeatures()).get("shutdowntime"));
    assertEquals("1700000600", contents(dir.jobfeatures()).get("shutdowntime_job"));
    assertEquals(OptionalLong.of(CREATED + 600), dir.shutdownTime());

    dir.lowerShutdownTime(CREATED + 9000);
    assertEquals("1700000600", contents(dir.machinefeatures()).get("shutdowntime"));
    assertEquals("1700000600", contents(dir.jobfeatures()).get("shutdowntime_job"));
    // The limits written at creation are Vac's and stay as they were.
    assertEquals("86400", contents(dir.jobfeatures()).get("wall_limit_secs"));
    assertEveryFileHasMode0644(dir);
    assertNoTemporaryFilesLeft();
  }

  @Test
  void shutdownMessageWithACode() throws IOException {
    MachineDirectory dir = create();
    Instant at = Instant.ofEpochSecond(CREATED + 1234);
    writeJoboutput(dir, "shutdown_message", "300 Nothing to do\nsecond line\n", at);

    ShutdownMessage m = dir.shutdownMessage().orElseThrow();
    assertEquals(300, m.code());
    assertEquals("300 Nothing to do", m.text());
    assertEquals(at, m.at());
    assertTrue(m.isAbort());
  }

  @Test
  void shutdownMessageBelow300IsNoAbort() throws IOException {
    MachineDirectory dir = create();
    writeJoboutput(dir, "shutdown_message", "200 Success\r\n", Instant.ofEpochSecond(CREATED));

    ShutdownMessage m = dir.shutdownMessage().orElseThrow();
    assertEquals(200, m.code());
    assertEquals("200 Success", m.text());
    assertFalse(m.isAbort());
  }

  @Test
  void shutdownMessageWithoutACodeHasCodeZero() throws IOException {
    MachineDirectory dir = create();
    writeJoboutput(dir, "shutdown_message", "Job agent finished", Instant.ofEpochSecond(CREATED));

    ShutdownMessage m = dir.shutdownMessage().orElseThrow();
    assertEquals(0, m.code());
    assertEquals("Job agent finished", m.text());
    assertFalse(m.isAbort());
    assertEquals(0, ShutdownMessage.parse("30 short", Instant.EPOCH).code());
    assertEquals(700, ShutdownMessage.parse("700", Instant.EPOCH).code());
  }

  @Test
  void emptyShutdownMessageIsPresentButBlank() throws IOException {
    MachineDirectory dir = create();
    writeJoboutput(dir, "shutdown_message", "", Instant.ofEpochSecond(CREATED));

    assertEquals(Optional.of(new ShutdownMessage(0, "", Instant.ofEpochSecond(CREATED))), dir.shutdownMessage());
  }

  @Test
  void noShutdownMessageFileGivesEmpty() throws IOException {
    assertEquals(Optional.empty(), create().shutdownMessage());
  }

  @Test
  void writeShutdownMessageIfAbsentWritesOnlyWhenTheMachineDidNot() throws IOException {
    MachineDirectory dir = create();

    assertTrue(dir.writeShutdownMessageIfAbsent("700 Heartbeat file not created"));
    Path file = dir.joboutputs().resolve("shutdown_message");
    assertEquals("700 Heartbeat file not created", Files.readString(file));
    assertEquals("rw-r--r--", mode(file));
    assertEquals(700, dir.shutdownMessage().orElseThrow().code());

    Files.writeString(file, "300 No work from the machine");
    assertFalse(dir.writeShutdownMessageIfAbsent("700 Heartbeat file not updated"));
    assertEquals("300 No work from the machine", Files.readString(file));
    assertNoTemporaryFilesLeft();
  }

  @Test
  void joboutputModifiedIsTheFilesMtime() throws IOException {
    MachineDirectory dir = create();
    assertEquals(Optional.empty(), dir.joboutputModified("heartbeat"));

    Instant at = Instant.ofEpochSecond(CREATED + 77);
    writeJoboutput(dir, "heartbeat", "ok", at);
    assertEquals(Optional.of(at), dir.joboutputModified("heartbeat"));
    assertThrows(IllegalArgumentException.class, () -> dir.joboutputModified("../user_data"));
  }

  @Test
  void writeJoboutputStoresExactlyTheBodyOrNothing() throws IOException {
    MachineDirectory dir = create();
    dir.writeJoboutput("log.txt", new ByteArrayInputStream("hello world".getBytes(StandardCharsets.UTF_8)), 5);
    assertEquals("hello", Files.readString(dir.joboutputs().resolve("log.txt")));
    assertEquals("rw-r--r--", mode(dir.joboutputs().resolve("log.txt")));

    IOException e = assertThrows(IOException.class,
        () -> dir.writeJoboutput("short.txt", new ByteArrayInputStream(new byte[3]), 10));
    assertTrue(e.getMessage().contains("short.txt"), e.getMessage());
    assertFalse(Files.exists(dir.joboutputs().resolve("short.txt")));
    assertThrows(IllegalArgumentException.class,
        () -> dir.writeJoboutput("..", new ByteArrayInputStream(new byte[0]), 0));
    assertNoTemporaryFilesLeft();
  }

  @Test
  void userDataKeyAndStateFilesAre0644() throws IOException {
    MachineDirectory dir = create();
    dir.writeUserData("#!/bin/sh\necho hi\n");
    dir.writeRootPublicKey("ssh-rsa AAAA root@f1\n");
    dir.writeFile("started", "1700000001");

    assertEquals("#!/bin/sh\necho hi\n", Files.readString(dir.userDataFile()));
    assertEquals("ssh-rsa AAAA root@f1\n", Files.readString(dir.rootPublicKeyFile()));
    assertEquals("1700000001", Files.readString(dir.path().resolve("started")));
    assertEquals("rw-r--r--", mode(dir.userDataFile()));
    assertEquals("rw-r--r--", mode(dir.rootPublicKeyFile()));
    assertEquals("rw-r--r--", mode(dir.path().resolve("started")));
    assertNoTemporaryFilesLeft();
  }

  @Test
  void readsFeaturesBack() throws IOException {
    MachineDirectory dir = create();
    dir.writeFeatures(new MachineFeatures(ID, 2, CREATED, CREATED + 60, 9.0, 2048, Map.of()));

    assertEquals(Optional.of(ID.toString()), dir.jobfeature("job_id"));
    assertEquals(Optional.of("18.0"), dir.machinefeature("hs06"));
    assertEquals(Optional.empty(), dir.machinefeature("nonesuch"));
  }

  private static void writeJoboutput(MachineDirectory dir, String name, String text, Instant mtime) throws IOException {
    Path file = dir.joboutputs().resolve(name);
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.from(mtime));
  }

  private static Map<String, String> contents(Path directory) throws IOException {
    Map<String, String> result = new TreeMap<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path f : files.toList()) {
        result.put(f.getFileName().toString(), Files.readString(f));
      }
    }
    return result;
  }

  private static void assertEveryFileHasMode0644(MachineDirectory dir) throws IOException {
    for (Path area : new Path[] {dir.machinefeatures(), dir.jobfeatures()}) {
      try (Stream<Path> files = Files.list(area)) {
        for (Path f : files.toList()) {
          assertEquals("rw-r--r--", mode(f), f.toString());
        }
      }
    }
  }

  private void assertNoTemporaryFilesLeft() throws IOException {
    try (Stream<Path> files = Files.list(stateDir.resolve("tmp"))) {
      assertEquals(0, files.count(), "temporary files left in " + stateDir.resolve("tmp"));
    }
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
