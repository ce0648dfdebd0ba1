package org.vacuum.pilot;

import java.nio.file.Path;
import org.vacuum.batch.submit.Submitter;
import org.vacuum.protocol.pilot.PilotQueueProtocol.SubmitterConfig;

/**
 * Where a pilot queue's pilots go: the submitter for the queue's configuration and the root of
 * its pilots' sandboxes. {@link Submitters} is the node's; tests give their own. Both calls may
 * block (a submitter is made on first use), so a pilot queue makes them off its actor thread.
 */
public interface SubmitterLookup {

  /** The submitter for {@code config}; fails with an {@link IllegalArgumentException} naming what is missing. */
  Submitter forConfig(SubmitterConfig config);

  /** Where the pilots of {@code config} get their sandboxes. */
  Path sandboxRoot(SubmitterConfig config);
}
