package org.vacuum.batch.submit;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a submitter knows of one pilot: its state, when it was submitted, and once {@link
 * PilotState#DONE} (or {@link PilotState#HELD}) why: {@code exitCode} is the process's exit status
 * where there is one (128 + signal number for a process ended by a signal), {@code reason} a
 * short human text such as {@code exited 0}, {@code killed by signal 9} or {@code retired}.
 */
public record PilotInfo(
    PilotState state, Instant submitted, Optional<Integer> exitCode, Optional<String> reason) {

  public PilotInfo {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(submitted, "submitted");
    Objects.requireNonNull(exitCode, "exitCode");
    Objects.requireNonNull(reason, "reason");
  }

  public static PilotInfo running(Instant submitted) {
    return new PilotInfo(PilotState.RUNNING, submitted, Optional.empty(), Optional.empty());
  }

  public static PilotInfo done(Instant submitted, int exitCode, String reason) {
    return new PilotInfo(PilotState.DONE, submitted, Optional.of(exitCode), Optional.of(reason));
  }

  public boolean isDone() {
    return state == PilotState.DONE;
  }
}
