package org.vacuum.batch.submit;

import java.util.List;

/**
 * A submission that started fewer pilots than asked. {@link #started()} lists the pilots this call
 * did start: they are running and the caller owns them as if submit had returned them.
 */
public final class SubmitException extends RuntimeException {

  private final transient List<PilotId> started;

  public SubmitException(String message, List<PilotId> started, Throwable cause) {
    super(message, cause);
    this.started = List.copyOf(started);
  }

  public List<PilotId> started() {
    return started;
  }
}
