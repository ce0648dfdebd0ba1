package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.virtualcluster.HeadNodeTransitions.State;
import org.vacuum.virtualcluster.VirtualClusterTransitions.Action;
import org.vacuum.virtualcluster.VirtualClusterTransitions.Input;
import org.vacuum.virtualcluster.VirtualClusterTransitions.Outcome;

class VirtualClusterTransitionsTest {

  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
  private static final String HEAD_REASON = "Headnode is booting up.";

  /**
   * @param head head-node state, empty for no record
   * @param workers running/idle/requested, empty for unknown
   * @param validation ok, bad, or empty for not validated yet
   */
  private static Input input(String from, String action, String head, String workers, String validation) {
    Input in = Input.of("vc1", VirtualClusterTransitions.State.valueOf(from.toUpperCase()), NOW)
        .withReason("previous reason");
    if (action != null) {
      in = in.withAction(Action.valueOf(action.toUpperCase()));
    }
    if (head != null) {
      in = in.withHeadNode(State.valueOf(head.toUpperCase()), HEAD_REASON);
    }
    if (workers != null) {
      String[] w = workers.split("/");
      in = in.withWorkers(Integer.parseInt(w[0]), Integer.parseInt(w[1]), Integer.parseInt(w[2]));
    }
    if ("ok".equals(validation)) {
      in = in.withValidationProblems(List.of());
    } else if ("bad".equals(validation)) {
      in = in.withValidationProblems(List.of("Project 'p' is not defined."));
    }
    return in;
  }

  /** Every row of reference §2.4's table; the expected result is after chaining. */
  @ParameterizedTest(name = "{0} action={1} head={2} workers={3} validation={4} -> {5}: {6}")
  @CsvSource(delimiter = '|', value = {
      // from | action | head | running/idle/requested | validation | to | reason
      // new: valid -> initializing, chained: no head-node record yet
      "new          |           |              |        | ok  | initializing | Headnode is being created.",
      "new          |           |              |        | bad | failure      | Please terminate the cluster. Invalid virtual cluster specification: Project 'p' is not defined.",
      "new          |           |              |        |     | new          | Validating virtual cluster specification.",
      "initializing |           |              |        |     | initializing | Headnode is being created.",
      // head node running -> pending, chained: counts from initializing are stale
      "initializing |           | running      | 1/0/5  |     | pending      | Requesting compute workers.",
      "initializing |           | booting      |        |     | initializing | Headnode is booting up.",
      "initializing |           | failure      |        |     | failure      | There was a failure with headnode: Headnode is booting up. Please terminate the virtual cluster.",
      "pending      |           | running      |        |     | pending      | Requesting compute workers.",
      // pending -> running, chained into running's count check
      "pending      |           | running      | 2/0/5  |     | running      | Requesting 3 more compute worker(s).",
      "pending      |           | running      | 0/3/5  |     | pending      | Waiting for compute workers to start running.",
      // status vanished: terminating, chained to cleanup (head node still there)
      "running      |           | running      |        |     | cleanup      | Waiting for headnode/others to terminate.",
      "running      |           | running      | 2/1/5  |     | running      | Requesting 2 more compute worker(s).",
      "running      |           | running      | 5/2/5  |     | running      | Requesting 2 less compute worker(s).",
      "running      |           | running      | 5/0/5  |     | running      | All requested compute workers are running.",
      "running      |           | running      | 3/2/5  |     | running      | Waiting for 2 queued compute workers.",
      "terminating  |           |              |        |     | terminated   | Virtual cluster terminated successfully.",
      "terminating  |           | running      |        |     | cleanup      | Waiting for headnode/others to terminate.",
      "terminating  |           | running      | 0/0/0  |     | cleanup      | Waiting for headnode/others to terminate.",
      "terminating  |           |              | 0/0/0  |     | terminated   | Virtual cluster terminated successfully.",
      "terminating  |           | running      | 2/1/0  |     | terminating  | Terminating all compute workers.",
      "terminating  | terminate | running      | 2/1/0  |     | terminating  | terminate action is being processed.",
      "cleanup      |           |              |        |     | terminated   | Virtual cluster terminated successfully.",
      "cleanup      |           | terminated   |        |     | cleanup      | Waiting for headnode/others to terminate.",
      "terminated   |           |              |        |     | terminated   | Virtual cluster terminated successfully.",
      // relaunch -> new, chained into validation and initializing
      "terminated   | relaunch  |              |        | ok  | initializing | Headnode is being created.",
      "failure      |           | running      | 1/0/5  |     | failure      | previous reason",
      // terminate leaves failure; chained into terminating
      "failure      | terminate | running      | 1/0/0  |     | terminating  | terminate action is being processed.",
      "failure      | terminate |              |        |     | terminated   | Virtual cluster terminated successfully.",
      // terminate from a live state
      "running      | terminate | running      | 4/0/5  |     | terminating  | terminate action is being processed.",
      "new          | terminate |              |        | ok  | terminated   | Virtual cluster terminated successfully.",
      // terminate is ignored in finishing states other than failure
      "terminated   | terminate |              |        |     | terminated   | Virtual cluster terminated successfully.",
      "cleanup      | terminate | running      |        |     | cleanup      | Waiting for headnode/others to terminate.",
      // head-node failure in a live state
      "running      |           | failure      | 5/0/5  |     | failure      | There was a failure with headnode: Headnode is booting up. Please terminate the virtual cluster.",
      "pending      |           | failure      | 0/0/5  |     | failure      | There was a failure with headnode: Headnode is booting up. Please terminate the virtual cluster.",
      // ... but not once finishing
      "terminating  |           | failure      | 1/0/0  |     | terminating  | Terminating all compute workers.",
      // run and new actions change nothing
      "running      | run       | running      | 5/0/5  |     | running      | All requested compute workers are running.",
  })
  void transitionsTable(String from, String action, String head, String workers, String validation,
      String to, String reason) {
    Outcome out = VirtualClusterTransitions.next(input(from, action, head, workers, validation));
    assertEquals(VirtualClusterTransitions.State.valueOf(to.toUpperCase()), out.state());
    assertEquals(reason, out.reason());
  }

  @Test
  void relaunchIsConsumedAndBecomesNew() {
    Outcome out = VirtualClusterTransitions.next(input("terminated", "relaunch", null, null, "ok"));
    assertTrue(out.actionConsumed());
    assertEquals(Optional.of(Action.NEW), out.action());
  }

  @Test
  void relaunchWithoutValidationYetStopsInNew() {
    Outcome out = VirtualClusterTransitions.next(input("terminated", "relaunch", null, null, null));
    assertEquals(VirtualClusterTransitions.State.NEW, out.state());
    assertTrue(out.actionConsumed());
  }

  @Test
  void terminateIsNotConsumed() {
    Outcome out = VirtualClusterTransitions.next(input("running", "terminate", "running", "4/0/5", null));
    assertFalse(out.actionConsumed());
    assertEquals(Optional.of(Action.TERMINATE), out.action());
  }

  @Test
  void expiredClusterTerminatesAndChainsIntoTerminating() {
    Input in = input("running", null, "running", "3/0/5", null).withExpiration(NOW.minusSeconds(1));
    Outcome out = VirtualClusterTransitions.next(in);
    assertEquals(VirtualClusterTransitions.State.TERMINATING, out.state());
    assertEquals("Terminating all compute workers.", out.reason());
  }

  @Test
  void expiredClusterWithNoWorkersAndNoHeadNodeEndsInOneEvaluation() {
    Input in = input("pending", null, null, "0/0/5", null).withExpiration(NOW.minusSeconds(1));
    assertEquals(VirtualClusterTransitions.State.TERMINATED, VirtualClusterTransitions.next(in).state());
  }

  @Test
  void expiryBeatsHeadNodeFailureAndIsNotYetAtTheInstant() {
    Input failed = input("running", null, "failure", "3/0/5", null);
    assertEquals(VirtualClusterTransitions.State.TERMINATING,
        VirtualClusterTransitions.next(failed.withExpiration(NOW.minusSeconds(1))).state());
    assertEquals(VirtualClusterTransitions.State.RUNNING, VirtualClusterTransitions.next(
        input("running", null, "running", "5/0/5", null).withExpiration(NOW)).state());
  }

  @Test
  void expiryIsIgnoredInFinishingStates() {
    Input in = input("cleanup", null, "running", null, null).withExpiration(NOW.minusSeconds(60));
    assertEquals(VirtualClusterTransitions.State.CLEANUP, VirtualClusterTransitions.next(in).state());
    Input failed = input("failure", null, null, null, null).withExpiration(NOW.minusSeconds(60));
    assertEquals(VirtualClusterTransitions.State.FAILURE, VirtualClusterTransitions.next(failed).state());
  }

  @Test
  void statusWentAwayNamesTheCluster() {
    Outcome out = VirtualClusterTransitions.next(input("terminating", null, "running", null, null));
    assertEquals(VirtualClusterTransitions.State.CLEANUP, out.state());
    Outcome noHead = VirtualClusterTransitions.next(input("running", null, null, null, null));
    // running -> terminating -> cleanup -> terminated: the whole chain in one evaluation
    assertEquals(VirtualClusterTransitions.State.TERMINATED, noHead.state());
  }

  @Test
  void statesKnowTheirFamilies() {
    assertTrue(VirtualClusterTransitions.State.FAILURE.finishing());
    assertFalse(VirtualClusterTransitions.State.RUNNING.finishing());
    assertTrue(VirtualClusterTransitions.State.INITIALIZING.initializing());
    assertFalse(VirtualClusterTransitions.State.TERMINATED.generatesQueues());
    assertTrue(VirtualClusterTransitions.State.CLEANUP.generatesQueues());
    assertEquals("initializing", VirtualClusterTransitions.State.INITIALIZING.vc3Name());
    assertEquals("headnode-for-vc1", VirtualClusterTransitions.headNodeName("vc1"));
  }
}
