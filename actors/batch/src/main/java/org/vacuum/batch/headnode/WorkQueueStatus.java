package org.vacuum.batch.headnode;

import java.time.Instant;
import java.util.List;

/**
 * A Work Queue manager's view of itself, as written by the manager at most about a second before
 * {@code updated}: workers connected (of which idle, busy, still initialising), tasks waiting for
 * a worker, running on one, done (finished and retrieved, whatever their exit status), and the
 * last finished tasks. These are the counters VC3's WorkQueueCatalog plugin read from {@code
 * work_queue_status -l} (reference/vc3.md §4.5).
 */
public record WorkQueueStatus(
    String project,
    int port,
    int workersConnected,
    int workersInit,
    int workersIdle,
    int workersBusy,
    int tasksWaiting,
    int tasksRunning,
    int tasksDone,
    List<FinishedTask> finished,
    Instant updated) {

  public WorkQueueStatus {
    finished = List.copyOf(finished);
  }

  /**
   * A task that finished: its tag, Work Queue's result ({@code 0} = success, else a {@code
   * WORK_QUEUE_RESULT_*} code), the command's exit status, and the end of its output.
   */
  public record FinishedTask(String tag, int result, int exitStatus, String output) {}
}
