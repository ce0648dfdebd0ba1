package org.vacuum.virtualcluster;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The per-nodeset status of a virtual cluster (VC3's {@code statusinfo}) built from the per-queue
 * pilot counts the factories report (VC3's {@code statusraw} aggregated counters), and the
 * cluster-wide worker counts the state machine reads.
 *
 * <p>Contract: every nodeset of the template gets an entry, with zeros if no queue reported for it;
 * counts of queues whose nodeset is not in the template are ignored. {@code requested} is the
 * nodeset's node_number, 0 in finishing states. There is no summary (empty) while the cluster is
 * initializing or when no queue has reported at all.
 */
public final class StatusSummary {

  /**
   * Counts one factory reported for one pilot queue.
   *
   * @param error pilots in error (VC3's monitor never filled it; kept for the read side)
   */
  public record QueueStatus(String factory, String nodeset, String queue, int running, int idle, int error) {}

  /** One nodeset's line of the summary. */
  public record NodesetStatus(int running, int idle, int error, int nodeNumber, int requested) {}

  private StatusSummary() {}

  /**
   * @param nodesets the template's nodesets, in order (the map keeps it)
   * @param queues every queue status currently reported for this cluster
   * @param state the cluster's state after the evaluation's first steps (expiry, terminate)
   */
  public static Optional<Map<String, NodesetStatus>> summarize(List<StaticBalancedPolicy.Nodeset> nodesets,
      Collection<QueueStatus> queues, VirtualClusterTransitions.State state) {
    Objects.requireNonNull(nodesets, "nodesets");
    Objects.requireNonNull(queues, "queues");
    Objects.requireNonNull(state, "state");
    if (queues.isEmpty() || state.initializing()) {
      return Optional.empty();
    }
    Map<String, NodesetStatus> summary = new LinkedHashMap<>();
    for (StaticBalancedPolicy.Nodeset nodeset : nodesets) {
      int running = 0;
      int idle = 0;
      int error = 0;
      for (QueueStatus q : queues) {
        if (q.nodeset().equals(nodeset.name())) {
          running += q.running();
          idle += q.idle();
          error += q.error();
        }
      }
      int requested = state.finishing() ? 0 : nodeset.nodeNumber();
      summary.put(nodeset.name(), new NodesetStatus(running, idle, error, nodeset.nodeNumber(), requested));
    }
    return Optional.of(summary);
  }

  /**
   * Cluster-wide counts for {@link VirtualClusterTransitions}: sums over nodesets; empty without a
   * summary or when it has no nodeset.
   */
  public static Optional<VirtualClusterTransitions.WorkerCounts> workers(
      Optional<Map<String, NodesetStatus>> summary) {
    Objects.requireNonNull(summary, "summary");
    if (summary.isEmpty() || summary.get().isEmpty()) {
      return Optional.empty();
    }
    int running = 0;
    int idle = 0;
    int requested = 0;
    for (NodesetStatus s : summary.get().values()) {
      running += s.running();
      idle += s.idle();
      requested += s.requested();
    }
    return Optional.of(new VirtualClusterTransitions.WorkerCounts(running, idle, requested));
  }
}
