package org.vacuum.batch.submit;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Starts, observes and terminates the pilots of pilot queues on one kind of resource (local
 * processes, an SSH fork host, Slurm, Vac factories): APF's batch-submit and batch-status plugins
 * (reference/vc3.md §4.5-4.6) as one port. The PilotQueue entity decides how many pilots to
 * submit or retire and which ones (see {@link KillOrder}); a submitter only carries that out.
 *
 * <p>Calls block (process starts, remote commands, the retirement grace period): callers run them
 * off the actor threads. Implementations are safe for use from several threads.
 */
public interface Submitter extends AutoCloseable {

  /**
   * Starts {@code n} pilots of {@code spec.queue()}, each in its own sandbox with the spec's
   * files staged and its environment applied.
   *
   * @return the ids of the {@code n} pilots started, in submission order
   * @throws SubmitException if a pilot cannot be started: it names the queue and the cause, and
   *     carries the ids of the pilots this call did start (they stay running)
   * @throws IllegalArgumentException if {@code n < 0}
   */
  List<PilotId> submit(PilotSpec spec, int n);

  /**
   * The pilots of one queue known to this submitter: live ones and ones that ended recently
   * (how long ended pilots are kept is up to the implementation, and documented there). Pilots
   * of other queues are not included; an unknown queue gives an empty map.
   */
  Map<PilotId, PilotInfo> status(String queue);

  /**
   * Tells the submitter which pilots {@code queue}'s journal says it submitted (names, oldest
   * first), before a {@link #status} call. Only a submitter that cannot tell a queue's pilots from
   * the resource alone needs it (machines of the Vac submitter carry no queue); the default ignores
   * it.
   */
  default void recall(String queue, Collection<String> pilotNames) {}

  /**
   * Terminates the given pilots (APF's non-peaceful retirement): each pilot and everything it
   * started is asked to stop, then forced after the implementation's grace period. Returns when
   * they are gone; they are then reported {@link PilotState#DONE} with the reason {@code
   * retired}. Pilots already ended or unknown to this submitter are ignored.
   */
  void retire(List<PilotId> pilots);

  /**
   * Releases the submitter. What happens to pilots still running is the implementation's
   * contract (a local submitter terminates them; a batch one leaves them to the batch system).
   * Idempotent; no other call is allowed afterwards.
   */
  @Override
  void close();
}
