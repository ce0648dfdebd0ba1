package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.vacuum.virtualcluster.StaticBalancedPolicy.Nodeset;
import org.vacuum.virtualcluster.StatusSummary.NodesetStatus;
import org.vacuum.virtualcluster.StatusSummary.QueueStatus;
import org.vacuum.virtualcluster.VirtualClusterTransitions.State;
import org.vacuum.virtualcluster.VirtualClusterTransitions.WorkerCounts;

class StatusSummaryTest {

  private static final List<Nodeset> NODESETS = List.of(new Nodeset("workers", 5), new Nodeset("gpus", 2));

  private static final List<QueueStatus> QUEUES = List.of(
      new QueueStatus("f1", "workers", "vc1.workers.a.r1", 2, 1, 0),
      new QueueStatus("f2", "workers", "vc1.workers.a.r2", 1, 0, 1),
      new QueueStatus("f1", "other", "vc1.other.a.r1", 9, 9, 9));

  @Test
  void sumsOverFactoriesAndQueuesPerNodeset() {
    Map<String, NodesetStatus> expected = new LinkedHashMap<>();
    expected.put("workers", new NodesetStatus(3, 1, 1, 5, 5));
    expected.put("gpus", new NodesetStatus(0, 0, 0, 2, 2));
    assertEquals(Optional.of(expected), StatusSummary.summarize(NODESETS, QUEUES, State.RUNNING));
    assertEquals(List.of("workers", "gpus"),
        List.copyOf(StatusSummary.summarize(NODESETS, QUEUES, State.RUNNING).orElseThrow().keySet()));
  }

  @Test
  void finishingStatesRequestNothing() {
    NodesetStatus workers = StatusSummary.summarize(NODESETS, QUEUES, State.TERMINATING).orElseThrow().get("workers");
    assertEquals(new NodesetStatus(3, 1, 1, 5, 0), workers);
  }

  @Test
  void noSummaryWhileInitializingOrWithoutAnyReport() {
    assertEquals(Optional.empty(), StatusSummary.summarize(NODESETS, QUEUES, State.INITIALIZING));
    assertEquals(Optional.empty(), StatusSummary.summarize(NODESETS, QUEUES, State.NEW));
    assertEquals(Optional.empty(), StatusSummary.summarize(NODESETS, List.of(), State.RUNNING));
  }

  @Test
  void workerCountsSumTheNodesets() {
    assertEquals(Optional.of(new WorkerCounts(3, 1, 7)),
        StatusSummary.workers(StatusSummary.summarize(NODESETS, QUEUES, State.RUNNING)));
    assertEquals(Optional.empty(), StatusSummary.workers(Optional.empty()));
    assertEquals(Optional.empty(),
        StatusSummary.workers(StatusSummary.summarize(List.of(), QUEUES, State.RUNNING)));
  }
}
