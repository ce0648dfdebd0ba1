package org.vacuum.batch.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Failures that need no SSH server; logins against a real sshd are in src-test's AllocationSshTest. */
class SshValidatorTest {

  private static SshKeys keys;
  private static SshRemote ssh;
  private static SshValidator validator;

  @BeforeAll
  static void setUp() {
    keys = SshKeys.generate("bob.nowhere");
    ssh = new SshRemote();
    validator = new SshValidator(ssh);
  }

  @AfterAll
  static void tearDown() {
    ssh.close();
  }

  @Test
  void closedPortFailsNamingTheTargetAndTheConnection() throws IOException {
    int port = closedPort();
    SshValidator.Result r = validator.validate("127.0.0.1", port, "bob", keys.privateKey(), Duration.ofSeconds(5));
    assertFalse(r.ok());
    assertEquals("ssh bob@127.0.0.1:" + port + ": connect failed: Connection refused", r.reason());
    assertFalse(r.reason().contains("\n"));
    assertEquals("", r.output());
  }

  @Test
  void aListenerThatNeverSpeaksSshFailsAtConnectNotAtAuthentication() throws IOException {
    // The kernel completes the TCP handshake from the backlog; nothing ever answers on the socket.
    try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      SshFailure f = assertThrows(SshFailure.class, () -> ssh.run("127.0.0.1", silent.getLocalPort(), "bob",
          keys.privateKey(), "true", Duration.ofSeconds(1)));
      assertEquals(SshFailure.Stage.CONNECT, f.stage());
      assertEquals("ssh bob@127.0.0.1:" + silent.getLocalPort()
          + ": no SSH handshake within 1000 ms (is an SSH server listening there?)", f.getMessage());
    }
  }

  @Test
  void anUnknownHostFailsAtConnect() {
    SshValidator.Result r = validator.validate("no-such-host.invalid", 22, "bob", keys.privateKey(),
        Duration.ofSeconds(5));
    assertEquals("ssh bob@no-such-host.invalid:22: connect failed: unknown host", r.reason());
  }

  @Test
  void unreadableKeyFailsBeforeConnecting() throws IOException {
    SshValidator.Result r = validator.validate("127.0.0.1", closedPort(), "bob", "not a key", Duration.ofSeconds(5));
    assertFalse(r.ok());
    assertTrue(r.reason().contains("private key"), r.reason());
    assertFalse(r.reason().contains("connect"), r.reason());
  }

  @Test
  void asyncValidationRunsOnTheGivenExecutor() throws Exception {
    var executor = Executors.newSingleThreadExecutor();
    try {
      SshValidator.Result r = validator.validateAsync("127.0.0.1", closedPort(), "bob", keys.privateKey(),
          Duration.ofSeconds(5), executor).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(r.reason().contains("connect failed"), r.reason());
    } finally {
      executor.shutdown();
    }
  }

  @Test
  void runReportsTheStageThatFailed() throws IOException {
    int port = closedPort();
    SshFailure f = assertThrows(SshFailure.class,
        () -> ssh.run("127.0.0.1", port, "bob", keys.privateKey(), "true", Duration.ofSeconds(5)));
    assertEquals(SshFailure.Stage.CONNECT, f.stage());
    f = assertThrows(SshFailure.class, () -> ssh.run("127.0.0.1", port, "bob", "", "true", Duration.ofSeconds(5)));
    assertEquals(SshFailure.Stage.KEY, f.stage());
  }

  @Test
  void aTimeoutMustBePositive() {
    assertThrows(IllegalArgumentException.class,
        () -> ssh.run("127.0.0.1", 22, "bob", keys.privateKey(), "true", Duration.ZERO));
  }

  /** A loopback port nobody listens on: bound once by us and released. */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
