package org.vacuum.it.slurm;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real single-node Slurm cluster for tests: {@code munged}, {@code slurmctld} and {@code slurmd}
 * as child processes of the test JVM, with their key, configuration, state, spool, sockets and
 * logs in a temporary directory, listening on free ports of 127.0.0.1. The node is {@code
 * localhost} with this machine's CPUs and memory as {@code slurmd -C} reports them, in the one
 * partition {@value #PARTITION}; processes are tracked without cgroups ({@code
 * proctrack/linuxproc}, {@code task/none}), which works without systemd.
 *
 * <p>Slurm's client commands find this cluster only through {@code SLURM_CONF}: {@link
 * #environment()} is what a test passes to the Slurm submitter as its batch environment, and
 * {@link #squeue} runs squeue with it. Debian's {@code slurm-wlm} and {@code munge} provide the
 * daemons ({@code .ci/run} installs them; as root this class installs them with apt-get if they
 * are missing). It needs root: slurmd starts jobs as their owners.
 *
 * <p>{@link #skipReason()} says why no cluster can run here, from a trial start made once per
 * JVM. {@link #start()} returns once the node is idle. {@link #close()} cancels every job, stops
 * the daemons and the job step processes they left, and deletes the directory.
 */
public final class TestSlurm implements AutoCloseable {

  public static final String PARTITION = "vacuum";
  public static final String NODE = "localhost";

  private static final Path MUNGED = Path.of("/usr/sbin/munged");
  private static final Path MUNGE = Path.of("/usr/bin/munge");
  private static final Path SLURMCTLD = Path.of("/usr/sbin/slurmctld");
  private static final Path SLURMD = Path.of("/usr/sbin/slurmd");
  private static final Path SBATCH = Path.of("/usr/bin/sbatch");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private static volatile Optional<String> skipReason;

  private final Path dir;
  private final Path conf;
  private final List<Process> daemons = new ArrayList<>();
  private Duration startTime = Duration.ZERO;

  private TestSlurm(Path dir) {
    this.dir = dir;
    this.conf = dir.resolve("slurm.conf");
  }

  /** Why no test Slurm can run here (one line), or empty. Computed once per JVM. */
  public static Optional<String> skipReason() {
    Optional<String> r = skipReason;
    if (r == null) {
      r = Optional.ofNullable(findSkipReason());
      skipReason = r;
    }
    return r;
  }

  private static String findSkipReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "a test Slurm needs root (slurmd runs jobs as their owners); running as "
          + System.getProperty("user.name");
    }
    String missing = missingBinaries();
    if (missing != null) {
      String installed = aptInstall();
      if (installed != null) return missing + ", and apt-get could not install slurm-wlm munge: " + installed;
      missing = missingBinaries();
      if (missing != null) return missing + " even after apt-get install slurm-wlm munge";
    }
    try (TestSlurm trial = start()) {
      return null;
    } catch (IOException | RuntimeException e) {
      return "the test Slurm does not start: " + String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
    }
  }

  private static String missingBinaries() {
    for (Path p : List.of(MUNGED, MUNGE, SLURMCTLD, SLURMD, SBATCH)) {
      if (!Files.isExecutable(p)) return p + " is missing: install Debian's slurm-wlm and munge (.ci/run does)";
    }
    return null;
  }

  /** Null when apt-get succeeded, else why not. */
  private static String aptInstall() {
    try {
      Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
      Result install = exec(env, Duration.ofMinutes(5), "apt-get", "install", "-y", "-qq", "--no-install-recommends",
          "slurm-wlm", "munge");
      if (install.code == 0) return null;
      Result update = exec(env, Duration.ofMinutes(5), "apt-get", "update", "-qq");
      if (update.code != 0) return "apt-get update: " + update.output.strip();
      install = exec(env, Duration.ofMinutes(5), "apt-get", "install", "-y", "-qq", "--no-install-recommends",
          "slurm-wlm", "munge");
      return install.code == 0 ? null : "apt-get install: " + install.output.strip();
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  /** Starts munged, slurmctld and slurmd; returns when the node is idle. */
  public static TestSlurm start() throws IOException {
    Path dir = Files.createTempDirectory("vacuum-slurm-");
    TestSlurm slurm = new TestSlurm(dir);
    try {
      slurm.startDaemons();
      return slurm;
    } catch (IOException | RuntimeException e) {
      slurm.close();
      throw e;
    }
  }

  private void startDaemons() throws IOException {
    long t0 = System.nanoTime();
    // munged refuses a socket whose directories others cannot search.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path munge = Files.createDirectories(dir.resolve("munge"));
    Files.setPosixFilePermissions(munge, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path key = munge.resolve("munge.key");
    byte[] secret = new byte[1024];
    new SecureRandom().nextBytes(secret);
    Files.write(key, secret);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path socket = munge.resolve("munge.socket");
    daemons.add(daemon("munged", MUNGED.toString(), "--foreground", "--socket=" + socket, "--key-file=" + key,
        "--pid-file=" + munge.resolve("munged.pid"), "--log-file=" + munge.resolve("munged.log"),
        "--seed-file=" + munge.resolve("munged.seed")));
    await("munged answers on " + socket, () -> Files.exists(socket)
        && exec(Map.of(), Duration.ofSeconds(5), MUNGE.toString(), "--socket=" + socket, "--no-input").code == 0,
        () -> log("munged.out"));

    for (String d : List.of("state", "spool", "log")) Files.createDirectories(dir.resolve(d));
    Hardware hw = hardware();
    Files.writeString(conf, String.join("\n",
        "ClusterName=vacuumtest",
        "SlurmctldHost=" + NODE + "(127.0.0.1)",
        "SlurmctldPort=" + freePort(),
        "SlurmdPort=" + freePort(),
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        "AuthInfo=socket=" + socket,
        "StateSaveLocation=" + dir.resolve("state"),
        "SlurmdSpoolDir=" + dir.resolve("spool"),
        "SlurmctldPidFile=" + dir.resolve("slurmctld.pid"),
        "SlurmdPidFile=" + dir.resolve("slurmd.pid"),
        "SlurmctldLogFile=" + dir.resolve("log/slurmctld.log"),
        "SlurmdLogFile=" + dir.resolve("log/slurmd.log"),
        // No cgroups: this machine has no systemd to delegate them.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        // Without it a job that asks no memory would take the whole node's.
        "DefMemPerCPU=100",
        "SchedulerType=sched/backfill",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "ReturnToService=2",
        // A cancelled job's processes get SIGKILL this soon after SIGTERM.
        "KillWait=5",
        "MinJobAge=300",
        "NodeName=" + NODE + " NodeAddr=127.0.0.1 CPUs=" + hw.cpus + " RealMemory=" + hw.memoryMb + " State=UNKNOWN",
        "PartitionName=" + PARTITION + " Nodes=" + NODE + " Default=YES MaxTime=INFINITE State=UP",
        ""));
    daemons.add(daemon("slurmctld", SLURMCTLD.toString(), "-D", "-f", conf.toString()));
    daemons.add(daemon("slurmd", SLURMD.toString(), "-D", "-N", NODE, "-f", conf.toString()));
    await("node " + NODE + " idle in sinfo", () -> {
      Result r = exec(environment(), Duration.ofSeconds(10), "sinfo", "-h", "-n", NODE, "-o", "%T");
      return r.code == 0 && r.output.strip().equals("idle");
    }, () -> log("slurmctld.out") + "\n" + log("slurmd.out"));
    startTime = Duration.ofNanos(System.nanoTime() - t0);
  }

  private record Hardware(int cpus, long memoryMb) {}

  /** CPUs and memory as slurmd sees them; a node configured with more is drained. */
  private static Hardware hardware() throws IOException {
    Result r = exec(Map.of(), Duration.ofSeconds(30), SLURMD.toString(), "-C");
    Matcher cpus = Pattern.compile("CPUs=(\\d+)").matcher(r.output);
    Matcher mem = Pattern.compile("RealMemory=(\\d+)").matcher(r.output);
    if (r.code != 0 || !cpus.find() || !mem.find()) {
      throw new IOException("slurmd -C did not report CPUs and RealMemory: " + r.output.strip());
    }
    return new Hardware(Integer.parseInt(cpus.group(1)), Long.parseLong(mem.group(1)));
  }

  /** What Slurm's client commands need to find this cluster: {@code SLURM_CONF}. */
  public Map<String, String> environment() {
    return Map.of("SLURM_CONF", conf.toString());
  }

  public Path conf() {
    return conf;
  }

  /** How long {@link #start()} took from the first daemon to an idle node. */
  public Duration startTime() {
    return startTime;
  }

  /** {@code squeue -h} with {@code args}, run here against this cluster; its stdout. */
  public String squeue(String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of("squeue", "-h"));
    argv.addAll(List.of(args));
    Result r = exec(environment(), Duration.ofSeconds(30), argv.toArray(String[]::new));
    if (r.code != 0) throw new IOException(String.join(" ", argv) + " (SLURM_CONF=" + conf + ") failed: " + r.output);
    return r.output;
  }

  /** The daemons' logs (for failure messages). */
  public String logs() {
    return log("slurmctld.out") + "\n" + log("slurmd.out");
  }

  /** Cancels every job, stops the daemons and what they left, deletes the directory. */
  @Override
  public void close() {
    List<ProcessHandle> children = new ArrayList<>();
    daemons.forEach(p -> p.descendants().forEach(children::add));
    if (daemons.size() == 3) {
      try {
        exec(environment(), Duration.ofSeconds(10), "scancel", "--full", "-u", "root");
        await("no job left in squeue", () -> {
          Result r = exec(environment(), Duration.ofSeconds(10), "squeue", "-h", "-o", "%i");
          return r.code == 0 && r.output.isBlank();
        }, () -> "");
      } catch (IOException | RuntimeException e) {
        // Stopping the daemons below ends the job steps anyway.
      }
    }
    // Job steps run under slurmstepd, which slurmd does not wait for: take them by their spool directory.
    slurmsteps().forEach(children::add);
    for (int i = daemons.size() - 1; i >= 0; i--) {
      Process p = daemons.get(i);
      p.destroy();
      try {
        if (!p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    children.forEach(ProcessHandle::destroyForcibly);
    deleteTree(dir);
  }

  /** slurmstepd processes started by this cluster's slurmd (its SLURM_CONF is in their environment). */
  private Stream<ProcessHandle> slurmsteps() {
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().command().map(c -> c.endsWith("slurmstepd")).orElse(false))
        .filter(this::ownedByThisCluster);
  }

  private boolean ownedByThisCluster(ProcessHandle h) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(h.pid()), "environ")).contains(conf.toString())
          || Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "cwd")).startsWith(dir);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private Process daemon(String name, String... argv) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".out").toFile());
    pb.environment().put("SLURM_CONF", conf.toString());
    return pb.start();
  }

  private String log(String name) {
    Path f = dir.resolve(name);
    try {
      return Files.exists(f) ? name + ":\n" + Files.readString(f) : name + ": (none)";
    } catch (IOException e) {
      return name + ": (cannot read: " + e.getMessage() + ")";
    }
  }

  private interface Check {
    boolean ok() throws IOException;
  }

  private interface Describe {
    String text();
  }

  private void await(String what, Check check, Describe logs) throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      for (Process p : daemons) {
        if (!p.isAlive()) {
          throw new IOException(p.info().command().orElse("a daemon") + " exited " + p.exitValue() + " while waiting for "
              + what + " (" + dir + ")\n" + logs.text());
        }
      }
      if (check.ok()) return;
      if (System.nanoTime() > deadline) {
        throw new IOException("no " + what + " within " + START_TIMEOUT + " (" + dir + ")\n" + logs.text());
      }
      try {
        // Polling a daemon's readiness: there is nothing to block on.
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + what, e);
      }
    }
  }

  private record Result(int code, String output) {}

  private static Result exec(Map<String, String> env, Duration timeout, String... argv) throws IOException {
    Path out = Files.createTempFile("vacuum-slurm-exec-", ".out");
    try {
      ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      try {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          return new Result(-1, String.join(" ", argv) + " did not finish within " + timeout + ": "
              + Files.readString(out));
        }
        return new Result(p.exitValue(), Files.readString(out));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IOException("interrupted running " + String.join(" ", argv), e);
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Best effort: a leftover directory in /tmp harms nothing.
    }
  }
}
