package org.vacuum.batch.submit;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.batch.ssh.SshRemote;
import org.vacuum.batch.ssh.SshFailure;

/**
 * Pilots as background processes on a resource's host, reached over SSH with the allocation's key
 * (VC3's {@code accessmethod ssh}, {@code accessflavor fork}).
 *
 * <p>Each pilot gets a fresh sandbox {@code <root>/<queue>/<pilot name>/} as {@link RemoteSandbox}
 * describes, its files staged over SFTP, and is started there with {@code setsid nohup} as the
 * leader of its own session and process group, with stdin from {@code /dev/null}, output in
 * {@code stdout} and {@code stderr}; its wrapper records the exit status. One call is one SSH
 * connection: submit makes, stages and starts all {@code n} pilots on it, status is one remote
 * script, retirement one script per queue.
 *
 * <p>States: {@code RUNNING} while the wrapper's process lives (checked with {@code kill -0}), then
 * {@code DONE} with the recorded exit status; a forked pilot is never idle or held. When the pilot
 * command ends, the wrapper sends SIGTERM to what it left in its process group. {@link #retire}
 * sends SIGTERM to each pilot's process group, waits up to the grace period, sends SIGKILL to what
 * is left, and returns when the groups are empty (processes that made themselves a new session
 * escape, as they escape a batch system without cgroups). Ended pilots are reported for the
 * retention period; their sandboxes are deleted by the first status call after the keep period.
 *
 * <p>The sandboxes are the record, so a new instance (after a restart of vacuum) sees and retires
 * the pilots of an earlier one. {@link #close} leaves running pilots running: they belong to the
 * resource, like batch jobs. Failures of status and retirement are {@link RemoteFailure}s.
 */
public final class SshForkSubmitter implements Submitter {

  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);
  public static final Duration DEFAULT_KEEP = Duration.ofDays(7);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  /**
   * @param sandboxRoot the remote root of the sandboxes ({@link SshResource#sandboxRoot}); every
   *     spec submitted must name it
   * @param grace how long retired pilots get between SIGTERM and SIGKILL
   * @param retention how long ended pilots stay in {@link #status}
   * @param keep how long the sandboxes of ended pilots stay on the resource
   */
  public record Settings(String sandboxRoot, Duration grace, Duration retention, Duration keep) {
    public Settings {
      Objects.requireNonNull(sandboxRoot, "sandboxRoot");
      Objects.requireNonNull(grace, "grace");
      Objects.requireNonNull(retention, "retention");
      Objects.requireNonNull(keep, "keep");
    }

    public static Settings of(String sandboxRoot) {
      return new Settings(sandboxRoot, DEFAULT_GRACE, DEFAULT_RETENTION, DEFAULT_KEEP);
    }
  }

  private static final Logger log = LoggerFactory.getLogger(SshForkSubmitter.class);

  private final RemoteSandbox sandboxes;
  private final Settings settings;
  private final Clock clock;

  /** {@code ssh} stays the caller's: {@link #close} does not stop it. */
  public SshForkSubmitter(SshRemote ssh, SshResource resource, Settings settings, Clock clock) {
    this.sandboxes = new RemoteSandbox(ssh, resource, settings.sandboxRoot(), clock);
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public List<PilotId> submit(PilotSpec spec, int n) {
    if (n < 0) throw new IllegalArgumentException("cannot submit " + n + " pilots to " + spec.queue());
    sandboxes.checkRoot(spec);
    if (n == 0) return List.of();
    List<PilotId> ids = sandboxes.newIds(spec.queue(), n);
    List<PilotId> started = new ArrayList<>();
    String where = sandboxes.resource().target() + ":" + sandboxes.queueDir(spec.queue());
    try (SshRemote.Connection c = sandboxes.connect()) {
      sandboxes.prepare(c, spec, ids, true);
      StringBuilder s = new StringBuilder();
      long submitted = clock.millis();
      for (PilotId id : ids) {
        String meta = RemoteSandbox.META;
        // The pid is written before 'submitted', the file a listing looks for first.
        s.append("( cd ").append(RemoteSandbox.quote(sandboxes.dir(id))).append(" || exit 1\n")
            .append("  setsid nohup /bin/sh ").append(meta).append("/launch </dev/null >stdout 2>stderr &\n")
            .append("  echo $! > ").append(meta).append("/pid && echo ").append(submitted).append(" > ")
            .append(meta).append("/submitted\n")
            .append(") && echo S ").append(id.name()).append(" || exit 1\n");
      }
      SshRemote.Output out = c.run(RemoteSandbox.SHELL, s.toString().getBytes(StandardCharsets.UTF_8),
          sandboxes.resource().timeout());
      for (String line : out.stdout().split("\n")) {
        for (PilotId id : ids) {
          if (line.strip().equals("S " + id.name())) started.add(id);
        }
      }
      if (started.size() < n) {
        throw new SubmitException("pilot queue " + spec.queue() + ": started " + started.size() + " of " + n
            + " pilots in " + where + ": " + RemoteSandbox.oneLine(out.stderr()), started, null);
      }
    } catch (SshFailure | RemoteFailure e) {
      throw new SubmitException("pilot queue " + spec.queue() + ": cannot start pilots in " + where + ": "
          + e.getMessage(), started, e);
    }
    log.info("pilot queue {}: started {} pilots {} on {}", spec.queue(), n,
        started.stream().map(PilotId::name).toList(), sandboxes.resource().target());
    return List.copyOf(started);
  }

  @Override
  public Map<PilotId, PilotInfo> status(String queue) {
    String prelude = "alive() { [ \"$1\" != - ] && kill -0 \"$1\" 2>/dev/null; }";
    String script = sandboxes.listScript(queue, prelude, "pid", settings.keep());
    SshRemote.Output out;
    try (SshRemote.Connection c = sandboxes.connect()) {
      out = sandboxes.check(c, script, "listing the pilots of queue " + queue + " in " + sandboxes.queueDir(queue));
    } catch (SshFailure e) {
      throw new RemoteFailure("pilot queue " + queue + ": cannot list pilots: " + e.getMessage(), e);
    }
    Instant now = clock.instant();
    Map<PilotId, PilotInfo> result = new LinkedHashMap<>();
    for (RemoteSandbox.Listed p : RemoteSandbox.parseListing(out.stdout()).values()) {
      PilotId id = new PilotId(queue, p.name());
      if (p.alive()) {
        result.put(id, PilotInfo.running(p.submitted()));
      } else if (!RemoteSandbox.expired(p, settings.retention(), now)) {
        result.put(id, new PilotInfo(PilotState.DONE, p.submitted(), p.exitCode(),
            Optional.of(RemoteSandbox.endReason(p, "ended without an exit status (killed outside vacuum?)"))));
      }
    }
    return result;
  }

  @Override
  public void retire(List<PilotId> pilots) {
    Map<String, List<PilotId>> byQueue = new LinkedHashMap<>();
    pilots.forEach(p -> byQueue.computeIfAbsent(p.queue(), q -> new ArrayList<>()).add(p));
    for (Map.Entry<String, List<PilotId>> e : byQueue.entrySet()) {
      retire(e.getKey(), e.getValue());
    }
  }

  private void retire(String queue, List<PilotId> ids) {
    long graceTenths = Math.max(1, settings.grace().toMillis() / 100);
    long killTenths = KILL_WAIT.toMillis() / 100;
    String meta = RemoteSandbox.META;
    StringBuilder s = new StringBuilder();
    s.append("cd ").append(RemoteSandbox.quote(sandboxes.queueDir(queue))).append(" 2>/dev/null || exit 0\n");
    s.append("pids=\n");
    s.append("for d in");
    ids.forEach(id -> s.append(' ').append(RemoteSandbox.quote(id.name())));
    s.append("; do\n")
        .append("  [ -f \"$d/").append(meta).append("/pid\" ] && [ ! -f \"$d/").append(meta)
        .append("/exitcode\" ] || continue\n")
        .append("  p=$(cat \"$d/").append(meta).append("/pid\")\n")
        .append("  kill -0 \"$p\" 2>/dev/null || continue\n")
        .append("  : > \"$d/").append(meta).append("/retired\"\n")
        .append("  kill -TERM -\"$p\" 2>/dev/null\n")
        .append("  pids=\"$pids $p\"\n")
        .append("done\n");
    s.append("any() { for p in $pids; do kill -0 -\"$p\" 2>/dev/null && return 0; done; return 1; }\n");
    s.append("pause() { sleep 0.1 2>/dev/null || sleep 1; }\n");
    s.append("i=0; while any && [ $i -lt ").append(graceTenths).append(" ]; do pause; i=$((i + 1)); done\n");
    s.append("for p in $pids; do kill -KILL -\"$p\" 2>/dev/null; done\n");
    s.append("i=0; while any && [ $i -lt ").append(killTenths).append(" ]; do pause; i=$((i + 1)); done\n");
    s.append("left=; for p in $pids; do kill -0 -\"$p\" 2>/dev/null && left=\"$left $p\"; done\n");
    s.append("[ -z \"$left\" ] || { echo \"process groups$left still have processes after SIGKILL\" >&2; exit 1; }\n");
    Duration timeout = sandboxes.resource().timeout().plus(settings.grace()).plus(KILL_WAIT);
    log.info("pilot queue {}: retiring pilots {} on {}", queue, ids.stream().map(PilotId::name).toList(),
        sandboxes.resource().target());
    try (SshRemote.Connection c = sandboxes.connect()) {
      sandboxes.check(c, s.toString(), "retiring pilots " + ids.stream().map(PilotId::name).toList() + " of queue "
          + queue + " in " + sandboxes.queueDir(queue), timeout);
    } catch (SshFailure e) {
      throw new RemoteFailure("pilot queue " + queue + ": cannot retire pilots " + ids.stream().map(PilotId::name)
          .toList() + ": " + e.getMessage(), e);
    }
  }

  /** Nothing to release: pilots keep running on the resource, and the SSH client is the caller's. */
  @Override
  public void close() {}
}
