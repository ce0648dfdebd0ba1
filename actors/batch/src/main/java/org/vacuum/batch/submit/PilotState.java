package org.vacuum.batch.submit;

/**
 * A pilot's batch state, APF's mapping of a batch system's job states (reference/vc3.md §4.5):
 * {@code IDLE} = queued, not started (APF's "pending"); {@code RUNNING}; {@code HELD} = stuck in
 * the batch system and needing attention; {@code DONE} = ended, by itself or by retirement.
 */
public enum PilotState {
  IDLE,
  RUNNING,
  HELD,
  DONE
}
