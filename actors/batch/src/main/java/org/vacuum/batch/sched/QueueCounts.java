package org.vacuum.batch.sched;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the sched chain of one pilot queue knows at the start of a cycle: this queue's pilots from
 * batch status, the WMS's ready count, and the factory-wide number of pilots (running + pending
 * over every queue). Each part may be unknown, which is APF's "no info" (status plugin not yet
 * populated or too old); every {@link SchedPlugin} documents what it does then.
 *
 * <p>Counts are taken as reported, negatives included: only {@link KeepNRunning} clamps them,
 * as APF does.
 */
public record QueueCounts(Optional<PilotCounts> pilots, OptionalInt ready, OptionalInt factoryPilots) {

  /** This queue's pilots by batch state; held pilots count as pending (APF's mapping). */
  public record PilotCounts(int pending, int running, int retiring) {}

  public QueueCounts {
    Objects.requireNonNull(pilots, "pilots");
    Objects.requireNonNull(ready, "ready");
    Objects.requireNonNull(factoryPilots, "factoryPilots");
  }

  /** Batch info known, no WMS info, factory-wide total unknown. */
  public static QueueCounts of(int pending, int running, int retiring) {
    return new QueueCounts(
        Optional.of(new PilotCounts(pending, running, retiring)), OptionalInt.empty(), OptionalInt.empty());
  }

  /** Nothing known: the batch status is missing or stale. */
  public static QueueCounts noBatchInfo() {
    return new QueueCounts(Optional.empty(), OptionalInt.empty(), OptionalInt.empty());
  }

  public QueueCounts withReady(int wmsReady) {
    return new QueueCounts(pilots, OptionalInt.of(wmsReady), factoryPilots);
  }

  /** @param runningPlusPending pilots running or pending over every queue of the factory */
  public QueueCounts withFactoryPilots(int runningPlusPending) {
    return new QueueCounts(pilots, ready, OptionalInt.of(runningPlusPending));
  }
}
