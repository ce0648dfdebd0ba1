package org.vacuum.virtualcluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.vacuum.virtualcluster.StaticBalancedPolicy.Nodeset;
import org.vacuum.virtualcluster.StaticBalancedPolicy.QueueTarget;

/**
 * The {@code demand} policy: a cluster sized by its work, not by a fixed number (what VC3 tried
 * with Ready/Scale and left disabled, reference/vc3.md §8). Each worker nodeset wants as many
 * workers as the head node's manager has tasks running or waiting, at most its {@code node_number}:
 * it grows while tasks wait and shrinks as they finish, so idle workers are retired (and, with
 * {@code app_lingertime}, an idle worker also leaves by itself). The wanted number is split over
 * the allocations as the static-balanced policy splits it; finishing states want none.
 */
public final class DemandPolicy {

  /** What the head node's manager reports: tasks being run and tasks waiting for a worker. */
  public record Demand(int tasksRunning, int tasksWaiting) {
    public Demand {
      if (tasksRunning < 0 || tasksWaiting < 0) {
        throw new IllegalArgumentException("task counts must not be negative: " + tasksRunning + ", " + tasksWaiting);
      }
    }
  }

  private DemandPolicy() {}

  /**
   * @param tasksPerWorker how many tasks one worker runs at once (its cores), at least 1
   * @return one target per nodeset × allocation, nodeset-major, as {@link StaticBalancedPolicy#targets}
   */
  public static List<QueueTarget> targets(List<Nodeset> nodesets, List<String> allocations,
      VirtualClusterTransitions.State state, Demand demand, int tasksPerWorker) {
    Objects.requireNonNull(nodesets, "nodesets");
    Objects.requireNonNull(allocations, "allocations");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(demand, "demand");
    if (tasksPerWorker < 1) {
      throw new IllegalArgumentException("tasks per worker " + tasksPerWorker + " must be at least 1");
    }
    int tasks = demand.tasksRunning() + demand.tasksWaiting();
    int wanted = (tasks + tasksPerWorker - 1) / tasksPerWorker;
    List<QueueTarget> targets = new ArrayList<>();
    for (Nodeset nodeset : nodesets) {
      int total = state.finishing() ? 0 : Math.min(nodeset.nodeNumber(), wanted);
      int[] shares = StaticBalancedPolicy.split(total, allocations.size());
      for (int i = 0; i < allocations.size(); i++) {
        targets.add(new QueueTarget(nodeset.name(), allocations.get(i), shares[i]));
      }
    }
    return targets;
  }
}
