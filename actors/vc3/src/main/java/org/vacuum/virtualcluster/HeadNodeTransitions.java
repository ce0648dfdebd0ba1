package org.vacuum.virtualcluster;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The head node's lifecycle (VC3's HandleHeadNodes) as a pure function of what was observed,
 * whatever runs the head node (cloud VM, local VM, container): {@code new → booting → initializing
 * → running}, {@code failure}, and {@code terminated} once the virtual cluster is cleaning up.
 *
 * <p>Contract: {@link #create} starts a head node and asks for {@link Effect#BOOT}; each later
 * {@link Observation} goes through {@link #next}, which returns the new {@link HeadNode} to persist,
 * the reason to show, and what the caller must do next. Observations that do not fit the state
 * (e.g. a configure result while booting) change nothing but the time checks.
 *
 * <ul>
 *   <li>new + {@link BootStarted} → booting "Headnode is booting up."; {@link BootFailed} →
 *       failure.
 *   <li>booting + {@link Contacted} (a login succeeded) → initializing "Headnode is being
 *       configured." and {@link Effect#START_CONFIGURE} (attempt 1).
 *   <li>initializing + {@link ConfigureSucceeded} → running "Headnode is ready to be used.";
 *       {@link ConfigureFailed} → a new attempt while fewer than {@code maxInitializingCount}
 *       attempts were made, else failure "Headnode could not be configured."; {@link
 *       SecretUnreadable} → failure at once (workers could not join without the secret).
 *   <li>any state + {@link ClusterFinished} (the virtual cluster is in cleanup or terminated) →
 *       terminated "Headnode successfully terminated." and {@link Effect#DESTROY}.
 *   <li>No-contact rule, after every observation unless the result is failure or terminated: the
 *       last contact is the creation, the boot start, the start of each configure attempt, and
 *       every successful login. More than {@code maxNoContactTime} since then → failure "Headnode
 *       could not be contacted after N seconds."; more than half of it → the reason gets a warning
 *       with the seconds left. Feed {@link Tick} from a timer so the rule fires without other news.
 * </ul>
 *
 * <p>Unlike VC3, attempts and the last contact live in {@link HeadNode} and are persisted, so a
 * restart keeps them.
 */
public final class HeadNodeTransitions {

  /** The head node's states, spelled as VC3 stores them ({@link #vc3Name()}). */
  public enum State {
    NEW, BOOTING, INITIALIZING, RUNNING, FAILURE, TERMINATED;

    public String vc3Name() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Limits from VC3's {@code [vcluster-headnodecycle]}.
   *
   * @param maxNoContactTime {@code node_max_no_contact_time} (VC3: 900 s)
   * @param maxInitializingCount {@code node_max_initializing_count} (VC3: 3)
   */
  public record Settings(Duration maxNoContactTime, int maxInitializingCount) {
    public static final Settings VC3_DEFAULTS = new Settings(Duration.ofSeconds(900), 3);

    public Settings {
      Objects.requireNonNull(maxNoContactTime, "maxNoContactTime");
      if (maxNoContactTime.isNegative() || maxNoContactTime.isZero()) {
        throw new IllegalArgumentException("maxNoContactTime must be positive, not " + maxNoContactTime);
      }
      if (maxInitializingCount < 1) {
        throw new IllegalArgumentException("maxInitializingCount must be >= 1, not " + maxInitializingCount);
      }
    }
  }

  /**
   * What the entity persists about its head node.
   *
   * @param reason the state reason without the no-contact warning (the warning depends on now)
   * @param lastContact the last successful contact, or the start of the current step
   * @param attempts configure attempts started so far
   * @param configuring whether a configure attempt is in flight
   */
  public record HeadNode(State state, String reason, Instant lastContact, int attempts, boolean configuring) {
    public HeadNode {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(lastContact, "lastContact");
    }
  }

  /** What happened to the head node since the last step. */
  public sealed interface Observation
      permits Tick, BootStarted, BootFailed, Contacted, ConfigureSucceeded, ConfigureFailed,
          SecretUnreadable, ClusterFinished {}

  /** Time passed, nothing else known: only the no-contact rule applies. */
  public record Tick() implements Observation {}

  /** The machine exists or was created and is starting. */
  public record BootStarted() implements Observation {}

  /** The machine could not be created. */
  public record BootFailed(String detail) implements Observation {}

  /** A login to the head node succeeded at {@code at}. */
  public record Contacted(Instant at) implements Observation {
    public Contacted {
      Objects.requireNonNull(at, "at");
    }
  }

  /** The configure attempt in flight finished well and the cluster's shared secret was read. */
  public record ConfigureSucceeded() implements Observation {}

  /** The configure attempt in flight failed (e.g. the playbook exited non-zero). */
  public record ConfigureFailed(String detail) implements Observation {}

  /** The configure attempt finished but left no readable shared secret. */
  public record SecretUnreadable(String detail) implements Observation {}

  /** The virtual cluster reached cleanup or terminated: the head node must go. */
  public record ClusterFinished() implements Observation {}

  /** What the caller does after persisting the step. */
  public enum Effect {
    /** Find or create the machine. */
    BOOT,
    /** Start configure attempt number {@link HeadNode#attempts()}. */
    START_CONFIGURE,
    /** Stop any configure attempt, delete the machine, then delete the head-node record. */
    DESTROY
  }

  /**
   * @param headNode the state to persist
   * @param stateReason the reason to show: {@code headNode.reason()} plus any no-contact warning
   */
  public record Step(HeadNode headNode, String stateReason, List<Effect> effects) {
    public Step {
      effects = List.copyOf(effects);
    }
  }

  static final String CREATED = "Headnode is being created.";
  static final String BOOTING = "Headnode is booting up.";
  static final String CONFIGURING = "Headnode is being configured.";
  static final String READY = "Headnode is ready to be used.";
  static final String NOT_CONFIGURED = "Headnode could not be configured.";
  static final String TERMINATED = "Headnode successfully terminated.";

  private HeadNodeTransitions() {}

  /** A new head-node record: state new, the clock for the no-contact rule starts now. */
  public static Step create(Instant now) {
    return new Step(new HeadNode(State.NEW, CREATED, now, 0, false), CREATED, List.of(Effect.BOOT));
  }

  /** One step: apply the observation, then the no-contact rule. */
  public static Step next(HeadNode current, Observation observation, Instant now, Settings settings) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(observation, "observation");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(settings, "settings");
    if (current.state() == State.TERMINATED) {
      return new Step(current, current.reason(), List.of());
    }
    if (observation instanceof ClusterFinished) {
      // VC3 tears the head node down from any state, failure included.
      return new Step(new HeadNode(State.TERMINATED, TERMINATED, current.lastContact(), current.attempts(), false),
          TERMINATED, List.of(Effect.DESTROY));
    }
    if (current.state() == State.FAILURE) {
      return new Step(current, current.reason(), List.of());
    }
    Step step = apply(current, observation, now, settings);
    return noContactRule(step, now, settings);
  }

  private static Step apply(HeadNode h, Observation observation, Instant now, Settings settings) {
    if (observation instanceof Contacted contacted && contacted.at().isAfter(h.lastContact())) {
      h = new HeadNode(h.state(), h.reason(), contacted.at(), h.attempts(), h.configuring());
    }
    switch (h.state()) {
      case NEW -> {
        if (observation instanceof BootStarted) {
          // The clock restarts: booting gets the whole no-contact time.
          return step(new HeadNode(State.BOOTING, BOOTING, now, h.attempts(), false));
        }
        if (observation instanceof BootFailed failed) {
          return step(failure(h, "Could not boot headnode: " + failed.detail()));
        }
      }
      case BOOTING -> {
        if (observation instanceof Contacted) {
          return startConfigure(h, now);
        }
        if (observation instanceof BootFailed failed) {
          return step(failure(h, "Could not boot headnode: " + failed.detail()));
        }
      }
      case INITIALIZING -> {
        if (!h.configuring()) {
          // An attempt should be in flight; after a lost one, start the next if any is left.
          return h.attempts() < settings.maxInitializingCount()
              ? startConfigure(h, now)
              : step(failure(h, NOT_CONFIGURED));
        }
        if (observation instanceof ConfigureSucceeded) {
          return step(new HeadNode(State.RUNNING, READY, h.lastContact(), h.attempts(), false));
        }
        if (observation instanceof SecretUnreadable unreadable) {
          return step(failure(h, "Headnode was configured but its shared secret could not be read: "
              + unreadable.detail()));
        }
        if (observation instanceof ConfigureFailed) {
          return h.attempts() < settings.maxInitializingCount()
              ? startConfigure(h, now)
              : step(failure(h, NOT_CONFIGURED));
        }
      }
      default -> {
        // running: only contacts (already applied) and the no-contact rule matter.
      }
    }
    return step(h);
  }

  private static Step startConfigure(HeadNode h, Instant now) {
    // Starting an attempt counts as contact, as in VC3: the playbook itself logs in.
    HeadNode next = new HeadNode(State.INITIALIZING, CONFIGURING, now, h.attempts() + 1, true);
    return new Step(next, CONFIGURING, List.of(Effect.START_CONFIGURE));
  }

  private static HeadNode failure(HeadNode h, String reason) {
    return new HeadNode(State.FAILURE, reason, h.lastContact(), h.attempts(), false);
  }

  private static Step step(HeadNode h) {
    return new Step(h, h.reason(), List.of());
  }

  private static Step noContactRule(Step step, Instant now, Settings settings) {
    HeadNode h = step.headNode();
    if (h.state() == State.FAILURE || h.state() == State.TERMINATED) {
      return step;
    }
    Duration silent = Duration.between(h.lastContact(), now);
    Duration max = settings.maxNoContactTime();
    if (silent.compareTo(max) > 0) {
      String reason = "Headnode could not be contacted after " + max.toSeconds() + " seconds.";
      return new Step(failure(h, reason), reason, List.of());
    }
    if (silent.compareTo(max.dividedBy(2)) > 0) {
      long left = max.minus(silent).toSeconds();
      String warning = step.stateReason() + " (No contact with the headnode for " + silent.toSeconds()
          + " seconds, possibly a transient error; failure in " + left + " seconds.)";
      return new Step(h, warning, step.effects());
    }
    return step;
  }
}
