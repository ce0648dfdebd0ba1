package org.vacuum.it.ssh;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A real OpenSSH server for tests: {@code /usr/sbin/sshd -D -e -f CONFIG} as a child process,
 * listening on a free port of 127.0.0.1, with its own host keys, configuration, log and
 * {@code authorized_keys} in a temporary directory. It lets only {@link #user()} (the user running the
 * tests; as root with {@code PermitRootLogin prohibit-password}) log in, by public key only, with no
 * PAM, and serves SFTP ({@code internal-sftp}).
 *
 * <p>Debian's {@code openssh-server} provides sshd ({@code .ci/run} installs it). {@link #skipReason()}
 * says why none can run here. {@link #close()} stops sshd and the session processes it forked, and
 * deletes the directory. As root, sshd runs as PID 1 of a PID namespace of its own (util-linux
 * {@code unshare}), so that close also ends commands that outlived their session; otherwise close
 * reaches only the processes still below sshd.
 */
public final class TestSshd implements AutoCloseable {

  private static final Path SSHD = Path.of("/usr/sbin/sshd");
  private static final Path SSH_KEYGEN = Path.of("/usr/bin/ssh-keygen");
  private static final Path UNSHARE = Path.of("/usr/bin/unshare");
  private static final String HOST = "127.0.0.1";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private static volatile Optional<String> skipReason;
  private static volatile Boolean pidNamespaces;

  private final Path dir;
  private final int port;
  private final Process sshd;
  private final Path log;
  private final boolean namespaced;

  private TestSshd(Path dir, int port, Process sshd, Path log, boolean namespaced) {
    this.dir = dir;
    this.port = port;
    this.sshd = sshd;
    this.log = log;
    this.namespaced = namespaced;
  }

  /**
   * Why no test sshd can run here (one line), or empty: the binaries, a locked account for
   * {@link #user()}, or a trial start that failed. Computed once per JVM.
   */
  public static Optional<String> skipReason() {
    Optional<String> r = skipReason;
    if (r == null) {
      r = Optional.ofNullable(findSkipReason());
      skipReason = r;
    }
    return r;
  }

  private static String findSkipReason() {
    if (!Files.isExecutable(SSHD)) return SSHD + " is missing: install Debian's openssh-server (.ci/run does)";
    if (!Files.isExecutable(SSH_KEYGEN)) return SSH_KEYGEN + " is missing: install Debian's openssh-client";
    String locked = lockedAccount();
    if (locked != null) return locked;
    try (TestSshd trial = start()) {
      return null;
    } catch (IOException | RuntimeException e) {
      return "the test sshd does not start: " + String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
    }
  }

  /** sshd without PAM refuses accounts whose password field starts with '!', even for public keys. */
  private static String lockedAccount() {
    Path shadow = Path.of("/etc/shadow");
    if (!Files.isReadable(shadow)) return null;
    try (Stream<String> lines = Files.lines(shadow)) {
      return lines.filter(l -> l.startsWith(user() + ":!")).findFirst()
          .map(l -> "account '" + user() + "' is locked in /etc/shadow ('!'), so sshd without PAM refuses it;"
              + " run 'usermod -p \"*\" " + user() + "'")
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  /** The account tests log in to: the one running them. */
  public static String user() {
    return System.getProperty("user.name");
  }

  /** Starts an sshd with an empty {@code authorized_keys}; waits until it listens. */
  public static TestSshd start() throws IOException {
    Path dir = Files.createTempDirectory("vacuum-sshd-");
    try {
      return start(dir);
    } catch (IOException | RuntimeException e) {
      deleteTree(dir);
      throw e;
    }
  }

  private static TestSshd start(Path dir) throws IOException {
    if (isRoot()) {
      // sshd running as root needs its privilege-separation directory; Debian's init script makes it.
      Files.createDirectories(Path.of("/run/sshd"));
    }
    for (String type : List.of("ecdsa", "ed25519")) {
      keygen(dir.resolve("ssh_host_" + type + "_key"), type);
    }
    Path authorized = dir.resolve("authorized_keys");
    Files.writeString(authorized, "");
    int port = freePort();
    Path config = dir.resolve("sshd_config");
    Files.writeString(config, String.join("\n",
        "ListenAddress " + HOST,
        "Port " + port,
        "HostKey " + dir.resolve("ssh_host_ecdsa_key"),
        "HostKey " + dir.resolve("ssh_host_ed25519_key"),
        "PidFile " + dir.resolve("sshd.pid"),
        "AuthorizedKeysFile " + authorized,
        // The temporary directory lies under the world-writable /tmp, which StrictModes refuses.
        "StrictModes no",
        "UsePAM no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "AllowUsers " + user(),
        "PrintMotd no",
        "Subsystem sftp internal-sftp",
        "LogLevel VERBOSE",
        ""));
    Path log = dir.resolve("sshd.log");
    List<String> command = new ArrayList<>();
    boolean namespaced = pidNamespaces();
    if (namespaced) {
      // sshd as PID 1 of its own PID namespace: when it dies the kernel kills every process left in
      // there, including commands that outlived their session and were reparented away from sshd.
      command.addAll(List.of(UNSHARE.toString(), "--pid", "--fork", "--kill-child"));
    }
    command.addAll(List.of(SSHD.toString(), "-D", "-e", "-f", config.toString()));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    CompletableFuture<Void> listening = new CompletableFuture<>();
    String ready = "Server listening on " + HOST + " port " + port;
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          if (line.contains(ready)) listening.complete(null);
        }
      } catch (IOException e) {
        listening.completeExceptionally(e);
      }
      listening.completeExceptionally(new IllegalStateException("sshd exited before listening"));
    }, "test-sshd-log-" + port);
    pump.setDaemon(true);
    pump.start();
    TestSshd server = new TestSshd(dir, port, p, log, namespaced);
    try {
      listening.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      String why = e instanceof TimeoutException ? "did not listen within " + START_TIMEOUT : e.getMessage();
      server.stop();
      throw new IllegalStateException(SSHD + " -f " + config + " on " + HOST + ":" + port + ": " + why + "; its log:\n"
          + server.log(), e);
    }
    return server;
  }

  public String host() {
    return HOST;
  }

  public int port() {
    return port;
  }

  /** Appends one {@code authorized_keys} line, as a user installs an allocation's public key. */
  public void authorize(String publicKeyLine) {
    try {
      Files.writeString(dir.resolve("authorized_keys"), publicKeyLine.strip() + "\n", StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What sshd logged so far (for failure messages). */
  public String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** Stops sshd and its session processes, and deletes the temporary directory. */
  @Override
  public void close() {
    stop();
    deleteTree(dir);
  }

  private void stop() {
    // Take the children first: once sshd is gone they would be reparented and out of reach.
    List<ProcessHandle> children = sshd.descendants().toList();
    if (namespaced) {
      // unshare --kill-child takes sshd with it, and sshd's PID namespace everything in it.
      sshd.destroyForcibly();
    } else {
      sshd.destroy();
    }
    children.forEach(ProcessHandle::destroyForcibly);
    try {
      if (!sshd.waitFor(5, TimeUnit.SECONDS)) {
        sshd.destroyForcibly();
        sshd.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether this process may start sshd in a PID namespace of its own (root, and the kernel allows it). */
  private static boolean pidNamespaces() {
    Boolean ok = pidNamespaces;
    if (ok == null) {
      ok = false;
      if (isRoot() && Files.isExecutable(UNSHARE)) {
        try {
          Process p = new ProcessBuilder(UNSHARE.toString(), "--pid", "--fork", "--kill-child", "true")
              .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
          ok = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
          if (!ok) p.destroyForcibly();
        } catch (IOException e) {
          ok = false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          ok = false;
        }
      }
      pidNamespaces = ok;
    }
    return ok;
  }

  private static void keygen(Path key, String type) throws IOException {
    Process p = new ProcessBuilder(SSH_KEYGEN.toString(), "-q", "-t", type, "-N", "", "-C", "vacuum-test-sshd",
        "-f", key.toString()).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("ssh-keygen -t " + type + " -f " + key + " failed: " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while generating " + key, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  private static boolean isRoot() {
    return "root".equals(user());
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Best effort: a leftover directory in /tmp harms nothing.
    }
  }
}
