package org.vacuum.batch.ssh;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Validates an allocation reached by {@code ssh}, as VC3's allocation state machine does when the user
 * asks for it (configured + {@code action=validate}): log in to the resource's host as the allocation's
 * account with the allocation's private key, accepting any host key, and run {@value #COMMAND}. The
 * allocation is {@code ready} if that works and {@code validation_failure} if not; deciding that and
 * persisting it is the Allocation entity's job, this class only tries.
 *
 * <p>{@link #validate} never throws for a failed login: it returns a {@link Result} whose reason is one
 * line naming {@code user@host:port} and what failed (the key, the connection, the authentication, or
 * the command's exit code), fit for the allocation's {@code state_reason}. It blocks up to the timeout;
 * {@link #validateAsync} runs it on an executor meant for blocking calls.
 */
public final class SshValidator {

  /** What VC3 ran to prove the login works. */
  public static final String COMMAND = "/bin/date";

  /** VC3's {@code ConnectTimeout=10}; here it bounds the whole login and command. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** A validation's outcome: {@code ok} with the command's standard output, or not with a one-line reason. */
  public record Result(boolean ok, String output, String reason) {
    public Result {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(reason, "reason");
    }

    public static Result succeeded(String output) {
      return new Result(true, output, "");
    }

    public static Result failed(String reason) {
      return new Result(false, "", reason);
    }
  }

  private final SshRemote ssh;

  /** Validates through {@code ssh}, which the caller owns and closes. */
  public SshValidator(SshRemote ssh) {
    this.ssh = Objects.requireNonNull(ssh, "ssh");
  }

  /**
   * Logs in to {@code user@host:port} with {@code privateKey} (unencrypted OpenSSH or PEM text, e.g.
   * {@link SshKeys#privateKey()}) and runs {@value #COMMAND}; ok if it exits 0.
   */
  public Result validate(String host, int port, String user, String privateKey, Duration timeout) {
    SshRemote.Output out;
    try {
      out = ssh.run(host, port, user, privateKey, COMMAND, timeout);
    } catch (SshFailure e) {
      return Result.failed(e.getMessage());
    }
    if (out.exitCode() != 0) {
      String stderr = out.stderr().strip().replaceAll("\\s+", " ");
      return Result.failed("ssh " + user + "@" + host + ":" + port + ": logged in, but " + COMMAND + " exited with "
          + (out.exitCode() < 0 ? "no status (killed by a signal)" : "code " + out.exitCode())
          + (stderr.isEmpty() ? "" : ": " + stderr));
    }
    return Result.succeeded(out.stdout().strip());
  }

  /** {@link #validate} on {@code blockingExecutor}. */
  public CompletionStage<Result> validateAsync(String host, int port, String user, String privateKey, Duration timeout,
      Executor blockingExecutor) {
    return CompletableFuture.supplyAsync(() -> validate(host, port, user, privateKey, timeout), blockingExecutor);
  }
}
