package org.vacuum.allocation;

import java.util.Locale;
import java.util.Objects;

/**
 * The allocation's state machine (VC3's HandleAllocations) as one pure evaluation. The Allocation
 * entity passes its state, the pending user action and what it learnt, persists the {@link
 * Outcome} if it differs, and carries out {@link Outcome#need()}.
 *
 * <p>States: {@code new → configured → ready | validation_failure | failure}. VC3 wrote
 * {@code ready} while its client checked for {@code validated}; vacuum has the one name {@code
 * ready}. One evaluation chains handlers in VC3's order new, validation_failure, configured, ready,
 * failure, so a state reached is handled again in the same evaluation (new → configured with a
 * validate action already set asks for validation at once; validation_failure + validate →
 * configured → validation).
 *
 * <ul>
 *   <li>new: resource unknown → failure. {@code ssh}: keys present → configured "Waiting for
 *       allocation to be validated.", else stay new and {@link Need#ISSUE_KEYS}. {@code gsissh},
 *       {@code sshproxy}: the user pasted the credential → configured. {@code local}: nothing to
 *       issue → configured. Any other access method → failure.
 *   <li>configured: a validation result ({@link Validation}) → ready or validation_failure;
 *       otherwise the validate action is consumed and {@link Need#VALIDATE} asks the caller to log
 *       in ({@code /bin/date} over ssh, sshproxy or gsissh; {@code local} needs no login and the
 *       caller may answer {@link Validation#SUCCEEDED} at once); without the action it waits.
 *   <li>validation_failure + validate → configured "Retrying to validate allocation."; else stays.
 *   <li>ready and failure are kept; a validate action there is ignored (not consumed), as in VC3.
 * </ul>
 *
 * <p>Decision: VC3 validated in the same pass and turned an unreachable infoservice into a retry;
 * vacuum validates asynchronously, so the action is consumed when validation is asked for and the
 * result comes back in a later evaluation, and the infoservice case does not exist.
 */
public final class AllocationTransitions {

  /** The allocation's states, spelled as VC3 stores them ({@link #vc3Name()}). */
  public enum State {
    NEW, CONFIGURED, READY, VALIDATION_FAILURE, FAILURE;

    public String vc3Name() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The outcome of a validation login, passed in the evaluation that follows it. */
  public enum Validation {
    /** No result to report in this evaluation. */
    NONE,
    SUCCEEDED,
    FAILED
  }

  /** What the caller does after persisting the outcome. */
  public enum Need {
    NOTHING,
    /** Generate (or reuse) the allocation's SSH key pair, then evaluate again. */
    ISSUE_KEYS,
    /** Try to log in with the allocation's credentials, then evaluate with the result. */
    VALIDATE
  }

  /**
   * Everything one evaluation reads.
   *
   * @param reason the current state_reason, kept by failure
   * @param validateRequested whether the user's action is {@code validate}
   * @param accessMethod the resource's {@code accessmethod} ({@code ssh}, {@code gsissh}, {@code
   *     sshproxy}, {@code local}), null when the resource is unknown
   * @param keysPresent whether the allocation holds its issued key pair (pubtoken and privtoken)
   * @param validation the result of the validation asked for earlier, {@link Validation#NONE} if none
   * @param validationMessage why validation failed (shown in the reason), may be null
   */
  public record Input(State state, String reason, boolean validateRequested, String accessMethod,
      boolean keysPresent, Validation validation, String validationMessage) {
    public Input {
      Objects.requireNonNull(state, "state");
      reason = reason == null ? "" : reason;
      Objects.requireNonNull(validation, "validation");
    }
  }

  /**
   * @param validateConsumed whether the validate action was used and must be cleared
   */
  public record Outcome(State state, String reason, boolean validateConsumed, Need need) {}

  static final String WAITING = "Waiting for allocation to be validated.";
  static final String VALIDATING = "Validating allocation credentials.";
  static final String READY = "Allocation is ready to be used.";
  static final String RETRYING = "Retrying to validate allocation.";
  static final String ISSUING = "Generating allocation credentials.";

  private AllocationTransitions() {}

  /** Evaluates once; see the class comment. */
  public static Outcome next(Input in) {
    Objects.requireNonNull(in, "in");
    State state = in.state();
    String reason = in.reason();
    boolean validate = in.validateRequested();
    boolean consumed = false;
    Need need = Need.NOTHING;
    String method = in.accessMethod() == null ? null : in.accessMethod().strip().toLowerCase(Locale.ROOT);

    if (state == State.NEW) {
      if (method == null) {
        state = State.FAILURE;
        reason = "Invalid allocation: its resource is not defined.";
      } else if (!validatable(method)) {
        state = State.FAILURE;
        reason = "Invalid allocation: access method '" + in.accessMethod()
            + "' is not supported (ssh, sshproxy, gsissh or local).";
      } else if (method.equals("ssh") && !in.keysPresent()) {
        reason = ISSUING;
        need = Need.ISSUE_KEYS;
      } else {
        state = State.CONFIGURED;
        reason = WAITING;
      }
    }
    if (state == State.VALIDATION_FAILURE && validate) {
      state = State.CONFIGURED;
      reason = RETRYING;
    }
    if (state == State.CONFIGURED) {
      if (in.validation() == Validation.SUCCEEDED) {
        state = State.READY;
      } else if (in.validation() == Validation.FAILED) {
        state = State.VALIDATION_FAILURE;
        reason = in.validationMessage() == null || in.validationMessage().isBlank()
            ? "Could not validate allocation."
            : "Could not validate allocation: " + in.validationMessage();
      } else if (validate) {
        consumed = true;
        if (method == null || !validatable(method)) {
          // The resource changed or vanished since the allocation was configured.
          state = State.FAILURE;
          reason = "Invalid allocation: access method '" + in.accessMethod() + "' cannot be validated.";
        } else {
          reason = VALIDATING;
          need = Need.VALIDATE;
        }
      } else if (!VALIDATING.equals(reason)) {
        // A login in flight keeps saying so until its result arrives.
        reason = WAITING;
      }
    }
    if (state == State.READY) {
      // As in VC3 the ready handler runs right after a successful validation and has the last word.
      reason = READY;
    }
    return new Outcome(state, reason, consumed, need);
  }

  private static boolean validatable(String method) {
    return switch (method) {
      case "ssh", "sshproxy", "gsissh", "local" -> true;
      default -> false;
    };
  }
}
