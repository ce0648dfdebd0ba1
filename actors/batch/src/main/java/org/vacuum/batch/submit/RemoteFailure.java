package org.vacuum.batch.submit;

/**
 * A call of an SSH submitter ({@link SshForkSubmitter}, {@link SlurmSubmitter}) that could not do
 * its work on the resource: the login failed, or a remote step (a batch command, a sandbox
 * script) ran and failed. The message names {@code user@host:port}, the step, and the remote
 * stderr or the SSH stage that failed. Nothing is reported for pilots the call could not see: a
 * failed status is never "all done".
 */
public final class RemoteFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public RemoteFailure(String message) {
    super(message);
  }

  public RemoteFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
