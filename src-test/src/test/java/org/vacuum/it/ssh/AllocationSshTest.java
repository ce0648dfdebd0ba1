package org.vacuum.it.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.batch.ssh.SshRemote;
import org.vacuum.batch.ssh.SshFailure;
import org.vacuum.batch.ssh.SshValidator;

/**
 * Allocation keys and validation against a real OpenSSH sshd ({@link TestSshd}): the key vacuum
 * issues works once the user installs its public half, another key does not, and the general command
 * and upload calls the pilot submitters will use behave as their contract says.
 */
class AllocationSshTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static TestSshd sshd;
  private static SshRemote ssh;
  private static SshKeys authorised;

  @BeforeAll
  static void startSshd() throws IOException {
    Optional<String> skip = TestSshd.skipReason();
    if (skip.isPresent()) {
      System.out.println("AllocationSshTest skipped: " + skip.get());
      Assumptions.abort(skip.get());
    }
    sshd = TestSshd.start();
    authorised = SshKeys.generate("alice.test-resource");
    sshd.authorize(authorised.publicKeyLine());
    ssh = new SshRemote();
  }

  @AfterAll
  static void stopSshd() {
    if (ssh != null) ssh.close();
    if (sshd != null) sshd.close();
  }

  @Test
  void theAuthorisedAllocationKeyValidatesAndBinDatePrintsADate() {
    // The entity stores the tokens; validation works from what they decode to.
    SshKeys stored = SshKeys.fromTokens(authorised.pubtoken(), authorised.privtoken());
    SshValidator.Result r = new SshValidator(ssh).validate(sshd.host(), sshd.port(), TestSshd.user(),
        stored.privateKey(), TIMEOUT);
    assertTrue(r.ok(), r.reason() + "\nsshd log:\n" + sshd.log());
    assertEquals("", r.reason());
    // date(1)'s default format: "Fri Nov 21 20:09:13 UTC 2025"
    assertTrue(r.output().matches("\\w{3} \\w{3} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\S+ \\d{4}"), r.output());
  }

  @Test
  void aKeyTheAccountDoesNotAuthoriseIsRefusedNamingAuthentication() {
    SshKeys other = SshKeys.generate("mallory.test-resource");
    SshValidator.Result r = new SshValidator(ssh).validate(sshd.host(), sshd.port(), TestSshd.user(),
        other.privateKey(), TIMEOUT);
    assertFalse(r.ok());
    String target = TestSshd.user() + "@" + sshd.host() + ":" + sshd.port();
    assertTrue(r.reason().startsWith("ssh " + target + ": authentication refused for user '" + TestSshd.user()
        + "' with key " + other.fingerprint()), r.reason());
    assertFalse(r.reason().contains("\n"), r.reason());
  }

  @Test
  void aClosedPortFailsNamingTheConnection() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(sshd.host()))) {
      port = s.getLocalPort();
    }
    SshValidator.Result r = new SshValidator(ssh).validate(sshd.host(), port, TestSshd.user(),
        authorised.privateKey(), TIMEOUT);
    assertFalse(r.ok());
    assertTrue(r.reason().startsWith("ssh " + TestSshd.user() + "@" + sshd.host() + ":" + port + ": connect failed: "),
        r.reason());
  }

  @Test
  void runReturnsTheExitCodeAndBothOutputs() throws SshFailure {
    SshRemote.Output out = ssh.run(sshd.host(), sshd.port(), TestSshd.user(), authorised.privateKey(),
        "sh -c 'echo hi; echo oops >&2; exit 3'", TIMEOUT);
    assertEquals(new SshRemote.Output(3, "hi\n", "oops\n"), out);
  }

  @Test
  void aCommandThatReadsStandardInputSeesItsEnd() throws SshFailure {
    SshRemote.Output out = ssh.run(sshd.host(), sshd.port(), TestSshd.user(), authorised.privateKey(), "cat", TIMEOUT);
    assertEquals(new SshRemote.Output(0, "", ""), out);
    try (SshRemote.Connection c = ssh.connect(sshd.host(), sshd.port(), TestSshd.user(), authorised.privateKey(),
        TIMEOUT)) {
      out = c.run("tr a-z A-Z", "pilot\n".getBytes(StandardCharsets.UTF_8), TIMEOUT);
    }
    assertEquals(new SshRemote.Output(0, "PILOT\n", ""), out);
  }

  @Test
  void aCommandOverItsTimeoutFailsNamingTheCommand() {
    SshFailure f = assertThrows(SshFailure.class, () -> ssh.run(sshd.host(), sshd.port(), TestSshd.user(),
        authorised.privateKey(), "sleep 30", Duration.ofSeconds(2)));
    assertEquals(SshFailure.Stage.COMMAND, f.stage());
    assertTrue(f.getMessage().contains("command 'sleep 30' did not finish within 2000 ms"), f.getMessage());
  }

  @Test
  void uploadWritesTheFileWithItsModeOverSftp(@TempDir Path dir) throws Exception {
    Path target = dir.resolve("pilot.sh");
    Files.writeString(target, "old content that is longer than the new one\n");
    byte[] script = "#!/bin/sh\necho pilot\n".getBytes(StandardCharsets.UTF_8);
    ssh.upload(sshd.host(), sshd.port(), TestSshd.user(), authorised.privateKey(), script, target.toString(), 0750,
        TIMEOUT);
    assertEquals("#!/bin/sh\necho pilot\n", Files.readString(target));
    assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    SshRemote.Output out = ssh.run(sshd.host(), sshd.port(), TestSshd.user(), authorised.privateKey(),
        target.toString(), TIMEOUT);
    assertEquals(new SshRemote.Output(0, "pilot\n", ""), out);

    SshFailure f = assertThrows(SshFailure.class, () -> ssh.upload(sshd.host(), sshd.port(), TestSshd.user(),
        authorised.privateKey(), script, dir.resolve("no/such/dir/x").toString(), 0644, TIMEOUT));
    assertEquals(SshFailure.Stage.UPLOAD, f.stage());
    assertTrue(f.getMessage().contains("no/such/dir/x"), f.getMessage());
  }

  @Test
  void openSshsOwnClientLogsInWithTheIssuedKeyAsVc3Did(@TempDir Path dir) throws Exception {
    Path sshBinary = Path.of("/usr/bin/ssh");
    Assumptions.assumeTrue(Files.isExecutable(sshBinary), sshBinary + " is not installed (Debian openssh-client)");
    Path key = dir.resolve("privtoken");
    Files.writeString(key, authorised.privateKey());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
    Process p = new ProcessBuilder(sshBinary.toString(), "-o", "UserKnownHostsFile=/dev/null", "-o",
        "StrictHostKeyChecking=no", "-o", "ConnectTimeout=10", "-o", "BatchMode=yes", "-F", "/dev/null",
        "-i", key.toString(), "-l", TestSshd.user(), "-p", String.valueOf(sshd.port()), sshd.host(), "--", "/bin/date")
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "ssh did not finish: " + out);
    assertEquals(0, p.exitValue(), out + "\nsshd log:\n" + sshd.log());
  }
}
