package org.vacuum.virtualcluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * VC3's only cluster policy, {@code static-balanced}: how many pilots each pilot queue keeps
 * running (its {@code sched.keepnrunning.keep_running}). There is one queue per nodeset × allocation;
 * each allocation gets ⌊node_number / #allocations⌋ of the nodeset's workers and the last
 * allocation in the cluster's order also gets the remainder. In a finishing state every queue gets
 * 0, so all pilots are retired.
 *
 * <p>Decision: VC3 split the template's total (the sum over all its nodesets) for every nodeset's
 * queue, which multiplies the workers of a template with several nodesets; vacuum splits each
 * nodeset's own node_number. For the usual one-nodeset template both give the same numbers.
 */
public final class StaticBalancedPolicy {

  /** A nodeset of the cluster template: its name and wanted number of workers. */
  public record Nodeset(String name, int nodeNumber) {
    public Nodeset {
      Objects.requireNonNull(name, "name");
      if (nodeNumber < 0) {
        throw new IllegalArgumentException("nodeset " + name + ": node_number " + nodeNumber + " is negative");
      }
    }
  }

  /** One pilot queue's target. */
  public record QueueTarget(String nodeset, String allocation, int keepRunning) {

    /** The APF queue name VC3 uses: {@code <cluster>.<nodeset>.<allocation>}. */
    public String queueName(String cluster) {
      return cluster + "." + nodeset + "." + allocation;
    }
  }

  private StaticBalancedPolicy() {}

  /**
   * @param nodesets the template's nodesets, in template order
   * @param allocations the cluster's allocations, in the cluster's order; the last gets remainders
   * @param state the cluster's state; finishing states get 0 everywhere
   * @return one target per nodeset × allocation, nodeset-major; empty without allocations
   */
  public static List<QueueTarget> targets(List<Nodeset> nodesets, List<String> allocations,
      VirtualClusterTransitions.State state) {
    Objects.requireNonNull(nodesets, "nodesets");
    Objects.requireNonNull(allocations, "allocations");
    Objects.requireNonNull(state, "state");
    List<QueueTarget> targets = new ArrayList<>();
    for (Nodeset nodeset : nodesets) {
      int[] shares = split(state.finishing() ? 0 : nodeset.nodeNumber(), allocations.size());
      for (int i = 0; i < allocations.size(); i++) {
        targets.add(new QueueTarget(nodeset.name(), allocations.get(i), shares[i]));
      }
    }
    return targets;
  }

  /**
   * Splits {@code total} workers over {@code allocations} allocations: ⌊total / n⌋ each, the
   * remainder to the last.
   */
  public static int[] split(int total, int allocations) {
    if (total < 0) {
      throw new IllegalArgumentException("total " + total + " is negative");
    }
    if (allocations < 0) {
      throw new IllegalArgumentException("allocations " + allocations + " is negative");
    }
    int[] shares = new int[allocations];
    if (allocations == 0) {
      return shares;
    }
    int each = total / allocations;
    Arrays.fill(shares, each);
    shares[allocations - 1] += total - each * allocations;
    return shares;
  }
}
