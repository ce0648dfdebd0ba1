package org.vacuum.virtualcluster;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The virtual cluster's state machine (VC3's request, HandleRequests) as one pure evaluation: the
 * entity passes what it knows, persists the {@link Outcome} if it differs, and re-evaluates
 * whenever an input changes (head node, worker counts, action, validation) or the expiration
 * passes.
 *
 * <p>One evaluation, in VC3's order:
 *
 * <ol>
 *   <li>Not in a finishing state: expired ({@code expiration < now}) → terminating "virtual cluster
 *       has expired"; else head node in failure → failure.
 *   <li>Action terminate, and the state is not finishing or the evaluation started in failure →
 *       terminating "received terminate action".
 *   <li>Handlers chained in the order terminated, new, initializing, pending, running, terminating,
 *       cleanup: each runs if the state reached so far is its own, so one evaluation may move
 *       several steps (terminated + relaunch → new → initializing; pending → running; an expired
 *       cluster with no workers → terminating → cleanup → terminated). Each handler runs at most
 *       once per evaluation; only cleanup → terminated lands on a handler that already had its turn,
 *       and that handler would only restate "terminated". Failure has no handler: it keeps its
 *       reason and is left only by the terminate action.
 * </ol>
 *
 * <p>Worker counts are taken as unknown when the evaluation starts in new, initializing or
 * terminated (those states generate no pilot queues, so any status is stale), as VC3 does.
 * The "Requesting N more/less" numbers compare requested with running + idle pilots (VC3 used
 * running alone and could print negative numbers).
 */
public final class VirtualClusterTransitions {

  /** The states of a virtual cluster, spelled as VC3 stores them ({@link #vc3Name()}). */
  public enum State {
    NEW, INITIALIZING, PENDING, RUNNING, TERMINATING, CLEANUP, TERMINATED, FAILURE;

    public String vc3Name() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** failure, terminating, cleanup, terminated: no workers are wanted any more. */
    public boolean finishing() {
      return this == FAILURE || this == TERMINATING || this == CLEANUP || this == TERMINATED;
    }

    /** new, initializing: the head node is not up yet. */
    public boolean initializing() {
      return this == NEW || this == INITIALIZING;
    }

    /** Whether pilot queues exist in this state (VC3 generates queues.conf then). */
    public boolean generatesQueues() {
      return !initializing() && this != TERMINATED;
    }
  }

  /** The user's request on the cluster (VC3's {@code action}). */
  public enum Action { NEW, RUN, TERMINATE, RELAUNCH }

  /** The head-node record as the cluster sees it. */
  public record HeadNodeView(HeadNodeTransitions.State state, String reason) {
    public HeadNodeView {
      Objects.requireNonNull(state, "state");
      reason = reason == null ? "" : reason;
    }
  }

  /**
   * Worker pilots over every nodeset and queue.
   *
   * @param requested workers wanted: the sum of the template's node_number
   */
  public record WorkerCounts(int running, int idle, int requested) {}

  /**
   * Everything one evaluation reads.
   *
   * @param name the cluster's name, used in reasons
   * @param reason the current state_reason, kept when nothing changes it (e.g. in failure)
   * @param action the pending user action, empty if none
   * @param expiration when the cluster expires, empty if never
   * @param headNode the head-node record, empty when none exists (not created yet, or deleted)
   * @param validationProblems the result of {@link VirtualClusterValidation} for this cluster,
   *     empty if not computed yet (then new waits); read only when the evaluation reaches new
   * @param workers worker counts from the status summary, empty when unknown
   */
  public record Input(String name, State state, String reason, Optional<Action> action, Optional<Instant> expiration,
      Instant now, Optional<HeadNodeView> headNode, Optional<List<String>> validationProblems,
      Optional<WorkerCounts> workers) {

    public Input {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(state, "state");
      reason = reason == null ? "" : reason;
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(expiration, "expiration");
      Objects.requireNonNull(now, "now");
      Objects.requireNonNull(headNode, "headNode");
      Objects.requireNonNull(validationProblems, "validationProblems");
      Objects.requireNonNull(workers, "workers");
      validationProblems = validationProblems.map(List::copyOf);
    }

    /** A cluster in {@code state} with no action, no expiration, no head node, nothing known. */
    public static Input of(String name, State state, Instant now) {
      return new Input(name, state, "", Optional.empty(), Optional.empty(), now, Optional.empty(),
          Optional.empty(), Optional.empty());
    }

    public Input withReason(String value) {
      return new Input(name, state, value, action, expiration, now, headNode, validationProblems, workers);
    }

    public Input withAction(Action value) {
      return new Input(name, state, reason, Optional.of(value), expiration, now, headNode, validationProblems, workers);
    }

    public Input withExpiration(Instant value) {
      return new Input(name, state, reason, action, Optional.of(value), now, headNode, validationProblems, workers);
    }

    public Input withHeadNode(HeadNodeTransitions.State headState, String headReason) {
      return new Input(name, state, reason, action, expiration, now,
          Optional.of(new HeadNodeView(headState, headReason)), validationProblems, workers);
    }

    public Input withValidationProblems(List<String> problems) {
      return new Input(name, state, reason, action, expiration, now, headNode, Optional.of(problems), workers);
    }

    public Input withWorkers(int running, int idle, int requested) {
      return new Input(name, state, reason, action, expiration, now, headNode, validationProblems,
          Optional.of(new WorkerCounts(running, idle, requested)));
    }
  }

  /**
   * The evaluation's result.
   *
   * @param action the action after evaluation (relaunch is consumed and becomes new)
   * @param actionConsumed whether the action changed and must be persisted
   */
  public record Outcome(State state, String reason, Optional<Action> action, boolean actionConsumed) {}

  /** VC3's name for the head-node record of a cluster. */
  public static String headNodeName(String clusterName) {
    return "headnode-for-" + clusterName;
  }

  private VirtualClusterTransitions() {}

  /** Evaluates once; see the class comment for the order. */
  public static Outcome next(Input in) {
    Objects.requireNonNull(in, "in");
    State state = in.state();
    String reason = null;
    Optional<Action> action = in.action();
    boolean consumed = false;

    if (!state.finishing()) {
      if (in.expiration().isPresent() && in.expiration().get().isBefore(in.now())) {
        state = State.TERMINATING;
        reason = "virtual cluster has expired";
      } else if (in.headNode().isPresent() && in.headNode().get().state() == HeadNodeTransitions.State.FAILURE) {
        state = State.FAILURE;
        reason = "There was a failure with headnode: " + in.headNode().get().reason()
            + " Please terminate the virtual cluster.";
      }
    }
    if (action.equals(Optional.of(Action.TERMINATE)) && (!state.finishing() || in.state() == State.FAILURE)) {
      state = State.TERMINATING;
      reason = "received terminate action";
    }

    // Counts from a state without queues are stale whatever the summary says.
    Optional<WorkerCounts> workers = in.state().generatesQueues() ? in.workers() : Optional.empty();

    if (state == State.TERMINATED) {
      if (action.equals(Optional.of(Action.RELAUNCH))) {
        action = Optional.of(Action.NEW);
        consumed = true;
        state = State.NEW;
        reason = "relaunching cluster";
      } else {
        reason = "Virtual cluster terminated successfully.";
      }
    }
    if (state == State.NEW) {
      Optional<List<String>> problems = in.validationProblems();
      if (problems.isEmpty()) {
        reason = "Validating virtual cluster specification.";
      } else if (problems.get().isEmpty()) {
        state = State.INITIALIZING;
        reason = "Waiting for cluster components to come online.";
      } else {
        state = State.FAILURE;
        reason = "Please terminate the cluster. Invalid virtual cluster specification: "
            + String.join(" ", problems.get());
      }
    }
    if (state == State.INITIALIZING) {
      Optional<HeadNodeView> head = in.headNode();
      if (head.isEmpty()) {
        reason = "Headnode is being created.";
      } else if (head.get().state() == HeadNodeTransitions.State.RUNNING) {
        state = State.PENDING;
        reason = "Requesting compute workers.";
      } else if (head.get().state() == HeadNodeTransitions.State.FAILURE) {
        state = State.FAILURE;
        reason = "Error while initializing the headnode: " + head.get().reason();
      } else {
        reason = head.get().reason();
      }
    }
    if (state == State.PENDING) {
      if (workers.isEmpty()) {
        reason = "Requesting compute workers.";
      } else if (workers.get().running() > 0) {
        state = State.RUNNING;
        reason = "Growing virtual cluster.";
      } else {
        reason = "Waiting for compute workers to start running.";
      }
    }
    if (state == State.RUNNING) {
      if (workers.isEmpty()) {
        state = State.TERMINATING;
        reason = statusWentAway(in.name());
      } else {
        reason = runningReason(workers.get());
      }
    }
    if (state == State.TERMINATING) {
      if (workers.isEmpty()) {
        state = State.CLEANUP;
        reason = statusWentAway(in.name());
      } else if (workers.get().running() + workers.get().idle() == 0) {
        state = State.CLEANUP;
        reason = "All compute workers have been terminated.";
      } else if (action.equals(Optional.of(Action.TERMINATE))) {
        reason = "terminate action is being processed.";
      } else {
        reason = "Terminating all compute workers.";
      }
    }
    if (state == State.CLEANUP) {
      if (in.headNode().isEmpty()) {
        state = State.TERMINATED;
        reason = "Virtual cluster terminated successfully.";
      } else {
        reason = "Waiting for headnode/others to terminate.";
      }
    }
    if (reason == null) {
      // Only failure has no handler: it keeps the reason that explains it.
      reason = in.reason();
    }
    return new Outcome(state, reason, action, consumed);
  }

  private static String statusWentAway(String name) {
    return "Failure: status of virtual cluster " + name + " went away.";
  }

  private static String runningReason(WorkerCounts w) {
    int inBatch = w.running() + w.idle();
    if (w.requested() > inBatch) {
      return "Requesting " + (w.requested() - inBatch) + " more compute worker(s).";
    }
    if (w.requested() < inBatch) {
      return "Requesting " + (inBatch - w.requested()) + " less compute worker(s).";
    }
    if (w.requested() == w.running()) {
      return "All requested compute workers are running.";
    }
    return "Waiting for " + w.idle() + " queued compute workers.";
  }
}
