package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.vacuum.virtualcluster.DemandPolicy.Demand;
import org.vacuum.virtualcluster.StaticBalancedPolicy.Nodeset;
import org.vacuum.virtualcluster.StaticBalancedPolicy.QueueTarget;
import org.vacuum.virtualcluster.VirtualClusterTransitions.State;

class DemandPolicyTest {

  @ParameterizedTest(name = "node_number {0}, running {1}, waiting {2}, {3} per worker, {4} -> {5}")
  @CsvSource({
      // grows while tasks wait, up to node_number
      "10, 0, 0, 1, RUNNING, 0",
      "10, 0, 3, 1, RUNNING, 3",
      "10, 2, 3, 1, RUNNING, 5",
      "4, 2, 30, 1, RUNNING, 4",
      // workers running several tasks at once
      "10, 0, 7, 4, RUNNING, 2",
      "10, 4, 4, 4, RUNNING, 2",
      // shrinks as work ends: idle workers are not kept
      "10, 1, 0, 1, RUNNING, 1",
      // pending and growing clusters follow demand too; finishing ones want none
      "10, 0, 2, 1, PENDING, 2",
      "10, 5, 5, 1, TERMINATING, 0",
      "10, 5, 5, 1, FAILURE, 0"})
  void wantsWhatTheTasksNeedWithinNodeNumber(int nodeNumber, int running, int waiting, int perWorker, State state,
      int expected) {
    List<QueueTarget> targets = DemandPolicy.targets(List.of(new Nodeset("workers", nodeNumber)), List.of("a.r"),
        state, new Demand(running, waiting), perWorker);
    assertEquals(List.of(new QueueTarget("workers", "a.r", expected)), targets);
  }

  @Test
  void theWantedNumberIsSplitOverAllocationsWithTheRemainderToTheLast() {
    assertEquals(List.of(new QueueTarget("w", "a.r1", 2), new QueueTarget("w", "a.r2", 3)),
        DemandPolicy.targets(List.of(new Nodeset("w", 8)), List.of("a.r1", "a.r2"), State.RUNNING,
            new Demand(0, 5), 1));
  }

  @Test
  void nonsenseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Demand(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> DemandPolicy.targets(List.of(), List.of(), State.RUNNING,
        new Demand(0, 0), 0));
  }
}
