package org.vacuum.batch.ssh;

/**
 * Why an SSH operation of {@link SshRemote} did not complete: the {@link Stage} that failed and a
 * one-line message that names {@code user@host:port} and what went wrong there. A remote command that
 * ran and exited non-zero is not a failure: its exit code is in {@link SshRemote.Output}.
 */
public final class SshFailure extends Exception {

  private static final long serialVersionUID = 1L;

  /** The step that failed, in the order a login goes through them. */
  public enum Stage {
    /** The private key text could not be read; nothing was sent. */
    KEY,
    /** No SSH session: connection refused, unreachable, timed out, or the SSH handshake failed. */
    CONNECT,
    /** The server refused the key for the user, or did not answer within the time left. */
    AUTHENTICATION,
    /** The command could not be started or did not finish within the time left. */
    COMMAND,
    /** A file could not be written over SFTP. */
    UPLOAD
  }

  private final Stage stage;

  SshFailure(Stage stage, String message, Throwable cause) {
    super(message, cause);
    this.stage = stage;
  }

  public Stage stage() {
    return stage;
  }
}
