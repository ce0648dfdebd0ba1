package org.vacuum.virtualcluster;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.batch.submit.Submitter;
import org.vacuum.pilot.SubmitterLookup;
import org.vacuum.protocol.pilot.PilotQueueProtocol.SubmitterConfig;

/**
 * Pilots that exist only in memory, for every queue whatever its configuration: submitted ones
 * are at once in the state given, retired ones done; nothing is started. Submissions to a queue
 * can be made to block, as a slow batch system's would.
 */
final class StandInSubmitter implements Submitter, SubmitterLookup {

  private final PilotState submittedAs;
  private final Path sandboxes;
  private final Map<String, Map<PilotId, PilotInfo>> queues = new LinkedHashMap<>();
  private final Map<String, CountDownLatch[]> blocked = new ConcurrentHashMap<>();
  private int serial;

  StandInSubmitter(PilotState submittedAs, Path sandboxes) {
    this.submittedAs = submittedAs;
    this.sandboxes = sandboxes;
  }

  @Override
  public Submitter forConfig(SubmitterConfig config) {
    return this;
  }

  @Override
  public Path sandboxRoot(SubmitterConfig config) {
    return sandboxes;
  }

  /** Submissions to {@code queue} count {@code entered} down, then block until {@code release} is. */
  void blockSubmits(String queue, CountDownLatch entered, CountDownLatch release) {
    blocked.put(queue, new CountDownLatch[] {entered, release});
  }

  @Override
  public List<PilotId> submit(PilotSpec spec, int n) {
    CountDownLatch[] block = blocked.get(spec.queue());
    if (block != null) {
      block[0].countDown();
      try {
        block[1].await(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return start(spec, n);
  }

  private synchronized List<PilotId> start(PilotSpec spec, int n) {
    List<PilotId> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      PilotId id = new PilotId(spec.queue(), spec.queue() + "." + ++serial);
      queues.computeIfAbsent(spec.queue(), q -> new LinkedHashMap<>())
          .put(id, new PilotInfo(submittedAs, Instant.now(), Optional.empty(), Optional.empty()));
      started.add(id);
    }
    return started;
  }

  @Override
  public synchronized Map<PilotId, PilotInfo> status(String queue) {
    return Map.copyOf(queues.getOrDefault(queue, Map.of()));
  }

  @Override
  public void recall(String queue, Collection<String> pilotNames) {}

  @Override
  public synchronized void retire(List<PilotId> pilots) {
    for (PilotId p : pilots) {
      Map<PilotId, PilotInfo> q = queues.get(p.queue());
      if (q != null && q.containsKey(p)) {
        q.put(p, new PilotInfo(PilotState.DONE, q.get(p).submitted(), Optional.empty(), Optional.of("retired")));
      }
    }
  }

  /** The queue's first running pilot is held (as a batch system may hold a job). */
  synchronized void hold(String queue) {
    Map<PilotId, PilotInfo> q = queues.get(queue);
    PilotId first = q.entrySet().stream().filter(e -> e.getValue().state() == PilotState.RUNNING)
        .map(Map.Entry::getKey).findFirst().orElseThrow();
    q.put(first, new PilotInfo(PilotState.HELD, q.get(first).submitted(), Optional.empty(), Optional.empty()));
  }

  @Override
  public void close() {}
}
