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
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.batch.ssh.SshRemote;
import org.vacuum.batch.ssh.SshFailure;

/**
 * Pilots as Slurm batch jobs submitted over SSH on a resource's login host with the allocation's
 * key (VC3's {@code accessmethod ssh}, {@code accessflavor slurm}), in place of APF's
 * CondorSSHRemoteManager and BOSCO.
 *
 * <p>Each pilot gets a fresh sandbox {@code <root>/<queue>/<pilot name>/} as {@link RemoteSandbox}
 * describes, its files staged over SFTP, then {@code sbatch --parsable --job-name=<queue>
 * --chdir=<sandbox> --output=<sandbox>/stdout --error=<sandbox>/stderr [--cpus-per-task C]
 * [--mem M] [options]} of the sandbox's wrapper; the job id goes to the sandbox's {@code jobid}.
 * The job name is the queue, as APF's {@code MATCH_APF_QUEUE}. Every remote script first exports
 * the settings' batch environment (e.g. {@code SLURM_CONF} for a cluster whose configuration is
 * not the default). One call is one SSH connection.
 *
 * <p>Status is one script: {@code squeue -h -t all -u <account> -n <queue> -o '%i %T %r'} and the
 * listing of the queue's sandboxes. States follow APF's batch mapping: PENDING, CONFIGURING and
 * REQUEUED are {@code IDLE}; PENDING with a {@code JobHeld*} reason, SUSPENDED, STOPPED,
 * REQUEUE_HOLD, SPECIAL_EXIT and RESV_DEL_HOLD are {@code HELD} (which a queue counts as pending,
 * as APF counts Condor's held); RUNNING, COMPLETING, SIGNALING, STAGE_OUT and RESIZING are
 * {@code RUNNING}; a job in a final state or gone from squeue is {@code DONE}. A state this class
 * does not know counts as {@code IDLE}, so the queue never over-submits. Exit codes do not come
 * from {@code sacct} (accounting is often not there, or not readable by the account): the wrapper
 * writes the pilot command's exit status into the sandbox; a job ended before or without it
 * (cancelled outside vacuum, time limit, node failure) is DONE without exit code, with Slurm's
 * final state as reason while squeue still shows it ({@code MinJobAge}). Jobs of the queue's name
 * that have no sandbox are not this submitter's and are ignored. A failing squeue fails the call.
 *
 * <p>{@link #retire} marks the sandboxes, runs {@code scancel} (Slurm signals the job and kills it
 * after its {@code KillWait}), and returns when the jobs have left squeue's active states, or
 * fails after the retire timeout. Ended pilots are reported for the retention period; their
 * sandboxes are deleted by the first status call after the keep period. {@link #close} leaves
 * the jobs to Slurm; a new instance finds them in the sandboxes.
 */
public final class SlurmSubmitter implements Submitter {

  public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);
  public static final Duration DEFAULT_KEEP = Duration.ofDays(7);
  public static final Duration DEFAULT_RETIRE_TIMEOUT = Duration.ofSeconds(90);
  private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final String FINAL_STATES =
      "COMPLETED|CANCELLED|FAILED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY|REVOKED";

  /**
   * @param sandboxRoot the remote root of the sandboxes ({@link SshResource#sandboxRoot}); every
   *     spec submitted must name it
   * @param batchEnvironment exported before every Slurm command on the resource
   * @param cpusPerTask {@code --cpus-per-task} (the nodeinfo's cores), if set
   * @param memoryMb {@code --mem} in MB (nodeinfo's memory per core × cores), if set
   * @param sbatchOptions further sbatch options, e.g. {@code --partition=...}, {@code --account=...}
   * @param retention how long ended pilots stay in {@link #status}
   * @param keep how long the sandboxes of ended pilots stay on the resource
   * @param retireTimeout how long {@link #retire} waits for cancelled jobs to leave squeue
   */
  public record Settings(String sandboxRoot, Map<String, String> batchEnvironment, Optional<Integer> cpusPerTask,
      Optional<Integer> memoryMb, List<String> sbatchOptions, Duration retention, Duration keep,
      Duration retireTimeout) {
    public Settings {
      Objects.requireNonNull(sandboxRoot, "sandboxRoot");
      batchEnvironment = Map.copyOf(batchEnvironment);
      for (String name : batchEnvironment.keySet()) {
        if (!VARIABLE.matcher(name).matches()) {
          throw new IllegalArgumentException("batch environment: '" + name + "' is not an environment variable name");
        }
      }
      Objects.requireNonNull(cpusPerTask, "cpusPerTask");
      Objects.requireNonNull(memoryMb, "memoryMb");
      sbatchOptions = List.copyOf(sbatchOptions);
      Objects.requireNonNull(retention, "retention");
      Objects.requireNonNull(keep, "keep");
      Objects.requireNonNull(retireTimeout, "retireTimeout");
    }

    public static Settings of(String sandboxRoot) {
      return new Settings(sandboxRoot, Map.of(), Optional.empty(), Optional.empty(), List.of(), DEFAULT_RETENTION,
          DEFAULT_KEEP, DEFAULT_RETIRE_TIMEOUT);
    }

    public Settings withBatchEnvironment(Map<String, String> environment) {
      return new Settings(sandboxRoot, environment, cpusPerTask, memoryMb, sbatchOptions, retention, keep,
          retireTimeout);
    }

    public Settings withResources(int cpus, int memoryMb) {
      return new Settings(sandboxRoot, batchEnvironment, Optional.of(cpus), Optional.of(memoryMb), sbatchOptions,
          retention, keep, retireTimeout);
    }
  }

  /** One line of squeue: the job's state and reason. */
  record Job(String id, String state, String reason) {}

  private static final Logger log = LoggerFactory.getLogger(SlurmSubmitter.class);

  private final RemoteSandbox sandboxes;
  private final Settings settings;
  private final Clock clock;

  /** {@code ssh} stays the caller's: {@link #close} does not stop it. */
  public SlurmSubmitter(SshRemote ssh, SshResource resource, Settings settings, Clock clock) {
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
    StringBuilder options = new StringBuilder(" --parsable --job-name=").append(RemoteSandbox.quote(spec.queue()))
        .append(" --chdir=\"$S\" --output=\"$S/stdout\" --error=\"$S/stderr\"");
    settings.cpusPerTask().ifPresent(c -> options.append(" --cpus-per-task=").append(c));
    settings.memoryMb().ifPresent(m -> options.append(" --mem=").append(m));
    settings.sbatchOptions().forEach(o -> options.append(' ').append(RemoteSandbox.quote(o)));
    try (SshRemote.Connection c = sandboxes.connect()) {
      sandboxes.prepare(c, spec, ids, false);
      StringBuilder s = new StringBuilder(environment());
      long submitted = clock.millis();
      String meta = RemoteSandbox.META;
      for (PilotId id : ids) {
        s.append("S=$(cd ").append(RemoteSandbox.quote(sandboxes.dir(id))).append(" && pwd) || exit 1\n")
            .append("j=$(sbatch").append(options).append(" \"$S/").append(meta).append("/launch\") || { echo \"sbatch for ")
            .append(id.name()).append(" failed\" >&2; exit 1; }\n")
            .append("j=${j%%;*}\n")
            // The job id is written before 'submitted', the file a listing looks for first.
            .append("echo \"$j\" > \"$S/").append(meta).append("/jobid\" && echo ").append(submitted)
            .append(" > \"$S/").append(meta).append("/submitted\" && echo \"S ").append(id.name())
            .append(" $j\" || exit 1\n");
      }
      SshRemote.Output out = c.run(RemoteSandbox.SHELL, s.toString().getBytes(StandardCharsets.UTF_8),
          sandboxes.resource().timeout());
      List<String> jobs = new ArrayList<>();
      for (String line : out.stdout().split("\n")) {
        String[] f = line.strip().split(" ");
        for (PilotId id : ids) {
          if (f.length == 3 && f[0].equals("S") && f[1].equals(id.name())) {
            started.add(id);
            jobs.add(f[2]);
          }
        }
      }
      if (started.size() < n) {
        throw new SubmitException("pilot queue " + spec.queue() + ": submitted " + started.size() + " of " + n
            + " Slurm jobs from " + where + ": " + RemoteSandbox.oneLine(out.stderr()), started, null);
      }
      log.info("pilot queue {}: submitted pilots {} as Slurm jobs {} on {}", spec.queue(),
          started.stream().map(PilotId::name).toList(), jobs, sandboxes.resource().target());
    } catch (SshFailure | RemoteFailure e) {
      throw new SubmitException("pilot queue " + spec.queue() + ": cannot submit Slurm jobs from " + where + ": "
          + e.getMessage(), started, e);
    }
    return List.copyOf(started);
  }

  @Override
  public Map<PilotId, PilotInfo> status(String queue) {
    String prelude = environment()
        + "sq=$(squeue -h -t all -u \"$(id -un)\" -n " + RemoteSandbox.quote(queue) + " -o '%i %T %r') || exit 1\n"
        + "printf '%s\\n' \"$sq\" | sed -n 's/^\\([0-9]\\)/J \\1/p'\n"
        + "active=\" $(printf '%s\\n' \"$sq\" | awk '$1 != \"\" && $2 !~ /^(" + FINAL_STATES
        + ")$/ { printf \"%s \", $1 }')\"\n"
        + "alive() { case \"$active\" in *\" $1 \"*) return 0 ;; esac; return 1; }\n";
    String script = sandboxes.listScript(queue, prelude, "jobid", settings.keep());
    SshRemote.Output out;
    try (SshRemote.Connection c = sandboxes.connect()) {
      out = sandboxes.check(c, script, "squeue and listing the pilots of queue " + queue + " in "
          + sandboxes.queueDir(queue));
    } catch (SshFailure e) {
      throw new RemoteFailure("pilot queue " + queue + ": cannot read Slurm status: " + e.getMessage(), e);
    }
    Map<String, Job> jobs = parseSqueue(out.stdout());
    Instant now = clock.instant();
    Map<PilotId, PilotInfo> result = new LinkedHashMap<>();
    for (RemoteSandbox.Listed p : RemoteSandbox.parseListing(out.stdout()).values()) {
      PilotId id = new PilotId(queue, p.name());
      Job job = jobs.get(p.handle());
      if (p.alive() && job != null) {
        PilotState state = state(job.state(), job.reason());
        Optional<String> reason = state == PilotState.HELD
            ? Optional.of("Slurm job " + job.id() + " " + job.state() + " (" + job.reason() + ")") : Optional.empty();
        result.put(id, new PilotInfo(state, p.submitted(), Optional.empty(), reason));
      } else if (!RemoteSandbox.expired(p, settings.retention(), now)) {
        String orElse = job != null
            ? "Slurm job " + job.id() + " " + job.state() + " (" + job.reason() + ")"
            : "Slurm job " + p.handle() + " ended without an exit status";
        result.put(id, new PilotInfo(PilotState.DONE, p.submitted(), p.exitCode(),
            Optional.of(RemoteSandbox.endReason(p, orElse))));
      }
    }
    return result;
  }

  /** The {@code J id state reason} lines of a status script. */
  static Map<String, Job> parseSqueue(String stdout) {
    Map<String, Job> jobs = new LinkedHashMap<>();
    for (String line : stdout.split("\n")) {
      String[] f = line.strip().split(" ", 4);
      if (f.length >= 3 && f[0].equals("J")) {
        jobs.put(f[1], new Job(f[1], f[2], f.length == 4 ? f[3] : ""));
      }
    }
    return jobs;
  }

  /** APF's mapping of a Slurm job state (and, for PENDING, its reason) to a pilot state. */
  static PilotState state(String slurmState, String reason) {
    return switch (slurmState) {
      case "PENDING" -> reason.startsWith("JobHeld") ? PilotState.HELD : PilotState.IDLE;
      case "CONFIGURING", "REQUEUED", "REQUEUE_FED" -> PilotState.IDLE;
      case "RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING" -> PilotState.RUNNING;
      case "SUSPENDED", "STOPPED", "REQUEUE_HOLD", "SPECIAL_EXIT", "RESV_DEL_HOLD" -> PilotState.HELD;
      default -> slurmState.matches(FINAL_STATES) ? PilotState.DONE : PilotState.IDLE;
    };
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
    String meta = RemoteSandbox.META;
    long tenths = Math.max(1, settings.retireTimeout().toMillis() / 100);
    List<String> names = ids.stream().map(PilotId::name).toList();
    StringBuilder s = new StringBuilder(environment());
    s.append("cd ").append(RemoteSandbox.quote(sandboxes.queueDir(queue))).append(" 2>/dev/null || exit 0\n");
    s.append("jobs=\n");
    s.append("for d in");
    names.forEach(n -> s.append(' ').append(RemoteSandbox.quote(n)));
    s.append("; do\n")
        .append("  [ -f \"$d/").append(meta).append("/jobid\" ] && [ ! -f \"$d/").append(meta)
        .append("/exitcode\" ] || continue\n")
        .append("  : > \"$d/").append(meta).append("/retired\"\n")
        .append("  jobs=\"$jobs $(cat \"$d/").append(meta).append("/jobid\")\"\n")
        .append("done\n");
    s.append("[ -n \"$jobs\" ] || exit 0\n");
    s.append("echo \"scancel$jobs\"\n");
    s.append("out=$(scancel $jobs 2>&1) || echo \"scancel$jobs: $out\" >&2\n");
    s.append("pause() { sleep 0.1 2>/dev/null || sleep 1; }\n");
    s.append("i=0\n");
    s.append("while :; do\n")
        .append("  q=$(squeue -h -u \"$(id -un)\" -n ").append(RemoteSandbox.quote(queue))
        .append(" -o '%i') || exit 1\n")
        .append("  sq=\" $(printf '%s' \"$q\" | tr '\\n' ' ') \"\n")
        .append("  left=; for j in $jobs; do case \"$sq\" in *\" $j \"*) left=\"$left $j\" ;; esac; done\n")
        .append("  [ -n \"$left\" ] || exit 0\n")
        .append("  [ $i -lt ").append(tenths).append(" ] || { echo \"Slurm jobs$left still in squeue ")
        .append(settings.retireTimeout().toSeconds()).append(" s after scancel\" >&2; exit 1; }\n")
        .append("  pause; i=$((i + 1))\n")
        .append("done\n");
    log.info("pilot queue {}: retiring pilots {} on {}", queue, names, sandboxes.resource().target());
    try (SshRemote.Connection c = sandboxes.connect()) {
      sandboxes.check(c, s.toString(), "retiring pilots " + names + " of queue " + queue + " (scancel)",
          sandboxes.resource().timeout().plus(settings.retireTimeout()));
    } catch (SshFailure e) {
      throw new RemoteFailure("pilot queue " + queue + ": cannot retire pilots " + names + ": " + e.getMessage(), e);
    }
  }

  /** The export lines of the batch environment. */
  private String environment() {
    StringBuilder s = new StringBuilder();
    settings.batchEnvironment().forEach((k, v) -> s.append("export ").append(k).append('=')
        .append(RemoteSandbox.quote(v)).append('\n'));
    return s.toString();
  }

  /** Nothing to release: the jobs stay with Slurm, and the SSH client is the caller's. */
  @Override
  public void close() {}
}
