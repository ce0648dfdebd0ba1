package org.vacuum.batch.ssh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.session.ClientSession.ClientSessionEvent;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;

/**
 * Runs commands on, and copies files to, the accounts of allocations over SSH, with the library client
 * of Apache MINA SSHD (no {@code ssh} binary, no {@code ~/.ssh} of the user running vacuum): the
 * allocation validator uses it now, the SSH and Slurm pilot submitters later.
 *
 * <p>Contract, for every call: the login uses exactly the given private key with public-key
 * authentication (no agent, no password, no {@code ~/.ssh/config}); any host key is accepted, as VC3's
 * {@code StrictHostKeyChecking=no} and {@code UserKnownHostsFile=/dev/null} did; the whole call
 * (connect, SSH handshake, authenticate, run or upload; the host name lookup aside) ends within its
 * {@code timeout}, after which the session is closed. Calls block the calling thread: run them off
 * actor threads (e.g. on Pekko's blocking-I/O dispatcher). A failure is an {@link SshFailure} saying
 * which {@link SshFailure.Stage} failed, naming {@code user@host:port}; a command that ran returns its
 * {@link Output} whatever its exit code.
 *
 * <p>Without an EdDSA provider on the class path the client verifies RSA and ECDSA host keys only: a
 * server that offers nothing but {@code ssh-ed25519} host keys fails at the handshake ({@code CONNECT}).
 *
 * <p>One instance owns one SSH client (a small pool of daemon I/O threads) shared by all its calls,
 * which may run concurrently; {@link #close()} stops it and the sessions still open.
 */
public final class SshRemote implements AutoCloseable {

  /** What a remote command did: its exit code (-1 if it was killed by a signal) and its output in UTF-8. */
  public record Output(int exitCode, String stdout, String stderr) {}

  private final SshClient client;

  /** Starts the SSH client. */
  public SshRemote() {
    client = SshClient.setUpDefaultClient();
    // Any host key is accepted, as VC3 did (StrictHostKeyChecking=no); silently, since a warning
    // per connection would drown the log of a pilot queue that polls every few seconds.
    client.setServerKeyVerifier((session, address, key) -> true);
    client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
    client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
    client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
    client.start();
  }

  /**
   * Logs in to {@code user@host:port} with {@code privateKey} (the text of an unencrypted OpenSSH or PEM
   * key, e.g. {@link SshKeys#privateKey()}), runs {@code command} through the account's login
   * shell with empty standard input, and returns its exit code and output.
   */
  public Output run(String host, int port, String user, String privateKey, String command, Duration timeout)
      throws SshFailure {
    Deadline deadline = new Deadline(timeout);
    try (Connection c = connect(host, port, user, privateKey, deadline)) {
      return c.run(command, new byte[0], deadline);
    }
  }

  /**
   * Logs in as {@link #run} does and writes {@code content} to {@code remotePath} over SFTP (relative
   * paths are relative to the account's home), replacing any file there, with permission bits
   * {@code mode} (e.g. {@code 0755}) set before the content is written.
   */
  public void upload(String host, int port, String user, String privateKey, byte[] content, String remotePath,
      int mode, Duration timeout) throws SshFailure {
    Deadline deadline = new Deadline(timeout);
    try (Connection c = connect(host, port, user, privateKey, deadline)) {
      c.upload(content, remotePath, mode, deadline);
    }
  }

  /**
   * Logs in as {@link #run} does and keeps the session open for several commands and uploads; each
   * later call has its own timeout. Close the connection when done.
   */
  public Connection connect(String host, int port, String user, String privateKey, Duration timeout)
      throws SshFailure {
    return connect(host, port, user, privateKey, new Deadline(timeout));
  }

  private Connection connect(String host, int port, String user, String privateKey, Deadline deadline)
      throws SshFailure {
    String target = user + "@" + host + ":" + port;
    KeyPair key;
    try {
      key = SshKeys.parsePrivateKey(privateKey);
    } catch (IllegalArgumentException e) {
      throw new SshFailure(SshFailure.Stage.KEY, "ssh " + target + ": " + oneLine(e.getMessage()), e);
    }
    ClientSession session;
    try {
      ConnectFuture connecting = client.connect(user, host, port);
      if (!connecting.await(deadline.remainingMillis())) {
        connecting.cancel();
        throw new SshFailure(SshFailure.Stage.CONNECT, "ssh " + target + ": connect timed out after "
            + deadline.timeoutMillis() + " ms", null);
      }
      if (!connecting.isConnected()) {
        throw new SshFailure(SshFailure.Stage.CONNECT, "ssh " + target + ": connect failed: "
            + reason(connecting.getException()), connecting.getException());
      }
      session = connecting.getSession();
    } catch (IOException | RuntimeException e) {
      throw new SshFailure(SshFailure.Stage.CONNECT, "ssh " + target + ": connect failed: " + reason(e), e);
    }
    try {
      // A TCP peer that never completes the SSH handshake must not pass for a refused key.
      Set<ClientSessionEvent> events = session.waitFor(EnumSet.of(ClientSessionEvent.WAIT_AUTH,
          ClientSessionEvent.CLOSED), deadline.remainingMillis());
      if (!events.contains(ClientSessionEvent.WAIT_AUTH)) {
        throw new SshFailure(SshFailure.Stage.CONNECT, "ssh " + target + ": " + (events.contains(ClientSessionEvent.CLOSED)
            ? "the server closed the connection during the SSH handshake"
            : "no SSH handshake within " + deadline.timeoutMillis() + " ms (is an SSH server listening there?)"), null);
      }
      session.addPublicKeyIdentity(key);
      AuthFuture auth = session.auth();
      if (!auth.await(deadline.remainingMillis())) {
        throw new SshFailure(SshFailure.Stage.AUTHENTICATION, "ssh " + target + ": no answer to authentication within "
            + deadline.timeoutMillis() + " ms", null);
      }
      if (!auth.isSuccess()) {
        throw new SshFailure(SshFailure.Stage.AUTHENTICATION, "ssh " + target + ": authentication refused for user '"
            + user + "' with key " + KeyUtils.getFingerPrint(key.getPublic()) + ": " + reason(auth.getException()),
            auth.getException());
      }
    } catch (SshFailure e) {
      session.close(true);
      throw e;
    } catch (IOException | RuntimeException e) {
      session.close(true);
      throw new SshFailure(SshFailure.Stage.AUTHENTICATION, "ssh " + target + ": authentication failed: " + reason(e), e);
    }
    return new Connection(session, target);
  }

  /** Stops the client and closes its sessions. */
  @Override
  public void close() {
    try {
      client.stop();
    } catch (RuntimeException e) {
      // Stopping is best effort: the client's threads are daemons and die with the JVM anyway.
    }
  }

  /** An authenticated session to one account; not for concurrent use. */
  public static final class Connection implements AutoCloseable {
    private final ClientSession session;
    private final String target;

    private Connection(ClientSession session, String target) {
      this.session = session;
      this.target = target;
    }

    /** {@code user@host:port}, as failures name it. */
    public String target() {
      return target;
    }

    /** Runs {@code command} with {@code stdin} as its standard input (then end of file). */
    public Output run(String command, byte[] stdin, Duration timeout) throws SshFailure {
      return run(command, stdin, new Deadline(timeout));
    }

    /** Writes {@code content} to {@code remotePath} with permission bits {@code mode}, as {@link SshRemote#upload}. */
    public void upload(byte[] content, String remotePath, int mode, Duration timeout) throws SshFailure {
      upload(content, remotePath, mode, new Deadline(timeout));
    }

    private Output run(String command, byte[] stdin, Deadline deadline) throws SshFailure {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      try (ChannelExec channel = session.createExecChannel(command)) {
        channel.setOut(out);
        channel.setErr(err);
        channel.open().verify(deadline.remainingMillis());
        try (OutputStream in = channel.getInvertedIn()) {
          in.write(stdin);
        }
        Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), deadline.remainingMillis());
        if (!events.contains(ClientChannelEvent.CLOSED)) {
          throw new SshFailure(SshFailure.Stage.COMMAND, "ssh " + target + ": command '" + command
              + "' did not finish within " + deadline.timeoutMillis() + " ms", null);
        }
        Integer status = channel.getExitStatus();
        return new Output(status == null ? -1 : status, out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8));
      } catch (IOException | RuntimeException e) {
        throw new SshFailure(SshFailure.Stage.COMMAND, "ssh " + target + ": command '" + command + "' failed: "
            + reason(e), e);
      }
    }

    private void upload(byte[] content, String remotePath, int mode, Deadline deadline) throws SshFailure {
      // The SFTP client has no per-call deadline: a watchdog closes the session when it passes.
      AtomicBoolean done = new AtomicBoolean();
      AtomicBoolean expired = new AtomicBoolean();
      CompletableFuture.delayedExecutor(deadline.remainingMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        if (!done.get()) {
          expired.set(true);
          session.close(true);
        }
      });
      try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session);
          SftpClient.CloseableHandle file = sftp.open(remotePath, SftpClient.OpenMode.Write,
              SftpClient.OpenMode.Create, SftpClient.OpenMode.Truncate)) {
        sftp.setStat(file, new SftpClient.Attributes().perms(mode));
        sftp.write(file, 0, content);
      } catch (IOException | RuntimeException e) {
        String why = expired.get() ? "did not finish within " + deadline.timeoutMillis() + " ms" : reason(e);
        throw new SshFailure(SshFailure.Stage.UPLOAD, "ssh " + target + ": upload of " + content.length
            + " bytes to '" + remotePath + "' failed: " + why, e);
      } finally {
        done.set(true);
      }
    }

    @Override
    public void close() {
      session.close(true);
    }
  }

  /** The innermost cause's message, on one line (the library's wrappers only repeat it). */
  static String reason(Throwable e) {
    if (e == null) return "no reason given";
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    if (root instanceof UnresolvedAddressException || root instanceof UnknownHostException) return "unknown host";
    String msg = root.getMessage();
    if (msg == null || msg.isBlank()) msg = root.getClass().getSimpleName();
    return oneLine(msg);
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s+", " ").strip();
  }

  /** The end of one call: every step gets what is left of its timeout. */
  private static final class Deadline {
    final Duration timeout;
    final long endNanos;

    Deadline(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("ssh timeout must be positive, not " + timeout);
      }
      this.timeout = timeout;
      this.endNanos = System.nanoTime() + timeout.toNanos();
    }

    long timeoutMillis() {
      return timeout.toMillis();
    }

    /** At least 1 ms, so that a step that starts late still fails by timeout rather than waiting forever. */
    long remainingMillis() {
      return Math.max(1, TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime()));
    }
  }
}
