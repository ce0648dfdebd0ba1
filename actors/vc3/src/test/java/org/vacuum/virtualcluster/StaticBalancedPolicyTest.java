package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.vacuum.virtualcluster.StaticBalancedPolicy.Nodeset;
import org.vacuum.virtualcluster.StaticBalancedPolicy.QueueTarget;
import org.vacuum.virtualcluster.VirtualClusterTransitions.State;

class StaticBalancedPolicyTest {

  @ParameterizedTest(name = "{0} over {1} -> {2}")
  @CsvSource({
      "5, 2, 2 3",   // the remainder goes to the last allocation
      "6, 3, 2 2 2",
      "2, 3, 0 0 2",
      "0, 2, 0 0",
      "7, 1, 7",
  })
  void splitGivesTheFloorToEachAndTheRemainderToTheLast(int total, int allocations, String expected) {
    int[] shares = Arrays.stream(expected.split(" ")).mapToInt(Integer::parseInt).toArray();
    assertArrayEquals(shares, StaticBalancedPolicy.split(total, allocations));
  }

  @Test
  void oneTargetPerNodesetAndAllocationInOrder() {
    List<QueueTarget> targets = StaticBalancedPolicy.targets(
        List.of(new Nodeset("workers", 5), new Nodeset("gpus", 1)),
        List.of("alice.uchicago", "alice.nersc"), State.RUNNING);
    assertEquals(List.of(
        new QueueTarget("workers", "alice.uchicago", 2),
        new QueueTarget("workers", "alice.nersc", 3),
        new QueueTarget("gpus", "alice.uchicago", 0),
        new QueueTarget("gpus", "alice.nersc", 1)), targets);
    assertEquals("vc1.workers.alice.nersc", targets.get(1).queueName("vc1"));
  }

  @ParameterizedTest
  @EnumSource(value = State.class, names = {"FAILURE", "TERMINATING", "CLEANUP", "TERMINATED"})
  void finishingStatesKeepNothingRunning(State state) {
    List<QueueTarget> targets = StaticBalancedPolicy.targets(
        List.of(new Nodeset("workers", 5)), List.of("a.r1", "a.r2"), state);
    assertEquals(List.of(new QueueTarget("workers", "a.r1", 0), new QueueTarget("workers", "a.r2", 0)), targets);
  }

  @Test
  void noAllocationsNoTargets() {
    assertEquals(List.of(), StaticBalancedPolicy.targets(List.of(new Nodeset("w", 3)), List.of(), State.PENDING));
  }

  @Test
  void negativeNumbersAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Nodeset("w", -1));
    assertThrows(IllegalArgumentException.class, () -> StaticBalancedPolicy.split(-1, 2));
  }
}
