package org.vacuum.batch.submit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pilots as child processes of this JVM on the control node (VC3's {@code local} access type).
 *
 * <p>Each pilot gets the sandbox {@code <root>/<queue>/<pilot name>/}, made fresh for it, holding
 * the staged files (mode 0600), {@code stdout} and {@code stderr} (the pilot's output), and {@code
 * pilot.pid} ({@code <pid> <start time in ticks>}, for {@link #reapLeftovers}). The pilot runs there
 * with this JVM's environment plus the spec's variables plus {@code VACUUM_PILOT_QUEUE} and {@code
 * VACUUM_PILOT_ID}, stdin from {@code /dev/null}, as the leader of its own session and process
 * group (started through util-linux {@code setsid}), so that everything it starts can be found and
 * ended with it.
 *
 * <p>States: {@code RUNNING} while the pilot's own process lives, then {@code DONE} with its exit
 * status; a local pilot is never idle or held. When a pilot's process ends, whatever it left in
 * its process group is killed at once, as a batch system ends a job's processes. {@link #retire}
 * sends SIGTERM to the pilot's whole process group (and any descendant that left it), waits up to
 * the grace period, then sends SIGKILL. Ended pilots stay in {@link #status} for the retention
 * period; their sandboxes stay on disk (cleaning them is left to the caller).
 *
 * <p>Nothing survives a JVM restart: a new instance knows no earlier pilots. {@link #close}
 * retires every live pilot and returns when they are gone; a JVM shutdown hook kills them (no
 * grace) if the JVM exits without close. Only a JVM killed outright leaves pilots running; {@link
 * #reapLeftovers} finds and kills those from their {@code pilot.pid} files.
 */
public final class LocalSubmitter implements Submitter {

  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);

  private static final Logger log = LoggerFactory.getLogger(LocalSubmitter.class);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);
  private static final Duration POLL = Duration.ofMillis(20);
  private static final String SETSID = "/usr/bin/setsid";

  private final Duration grace;
  private final Duration retention;
  private final Clock clock;
  private final String tag;
  private final AtomicLong serial = new AtomicLong();
  private final Map<PilotId, Pilot> pilots = new LinkedHashMap<>();
  private final Thread shutdownHook;
  private boolean closed;

  /** One pilot this instance started. */
  private static final class Pilot {
    final PilotId id;
    final Process process;
    final Instant submitted;
    volatile boolean retired;
    volatile Instant ended;
    /** Set once the process has ended and its group is empty: its pgid may then be reused. */
    volatile boolean groupCleared;

    Pilot(PilotId id, Process process, Instant submitted) {
      this.id = id;
      this.process = process;
      this.submitted = submitted;
    }

    /** The process group id: the pilot leads its own group. */
    long pgid() {
      return process.pid();
    }
  }

  public LocalSubmitter() {
    this(DEFAULT_GRACE, DEFAULT_RETENTION, Clock.systemUTC());
  }

  public LocalSubmitter(Duration grace, Duration retention, Clock clock) {
    if (!Files.isExecutable(Path.of(SETSID))) {
      throw new IllegalStateException(
          SETSID + " is missing: install util-linux, which local pilots need for their own"
              + " process groups");
    }
    this.grace = grace;
    this.retention = retention;
    this.clock = clock;
    // Names from an earlier instance under the same root never clash with this one's.
    this.tag = Long.toString(clock.millis(), 36);
    this.shutdownHook = new Thread(this::killAllNow, "local-pilots-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  @Override
  public List<PilotId> submit(PilotSpec spec, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("cannot submit " + n + " pilots to " + spec.queue());
    }
    List<PilotId> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      PilotId id = new PilotId(spec.queue(), String.format("p%s-%05d", tag, serial.incrementAndGet()));
      try {
        start(id, spec);
      } catch (IOException | RuntimeException e) {
        throw new SubmitException(
            "pilot queue " + spec.queue() + ": cannot start local pilot " + id.name() + " in "
                + sandbox(spec.sandboxRoot(), id) + ": " + e.getMessage(), started, e);
      }
      started.add(id);
    }
    return List.copyOf(started);
  }

  private static Path sandbox(Path root, PilotId id) {
    return root.resolve(id.queue()).resolve(id.name());
  }

  private void start(PilotId id, PilotSpec spec) throws IOException {
    Path sandbox = sandbox(spec.sandboxRoot(), id);
    Files.createDirectories(sandbox.getParent());
    try {
      Files.createDirectory(sandbox);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("sandbox already exists", e);
    }
    for (Map.Entry<String, byte[]> file : spec.files().entrySet()) {
      Path target = sandbox.resolve(file.getKey()).normalize();
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue());
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
    }
    List<String> command = new ArrayList<>();
    command.add(SETSID);
    command.addAll(spec.command());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(sandbox.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(sandbox.resolve("stdout").toFile())
            .redirectError(sandbox.resolve("stderr").toFile());
    builder.environment().putAll(spec.environment());
    builder.environment().put("VACUUM_PILOT_QUEUE", id.queue());
    builder.environment().put("VACUUM_PILOT_ID", id.name());
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the local submitter is closed");
      }
      Process process = builder.start();
      Pilot pilot = new Pilot(id, process, clock.instant());
      pilots.put(id, pilot);
      String startTime = ProcessGroups.startTime(process.pid()).map(String::valueOf).orElse("0");
      Files.writeString(sandbox.resolve("pilot.pid"), process.pid() + " " + startTime + "\n");
      process.onExit().thenRun(() -> ended(pilot));
      log.info("pilot queue {}: started local pilot {} (pid {})", id.queue(), id.name(),
          process.pid());
    }
  }

  /** The pilot's own process ended: take down what it left behind, as a batch system would. */
  private void ended(Pilot pilot) {
    pilot.ended = clock.instant();
    long deadline = System.nanoTime() + KILL_WAIT.toNanos();
    List<Long> left;
    while (!(left = ProcessGroups.members(pilot.pgid())).isEmpty()
        && System.nanoTime() < deadline) {
      left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
      pause();
    }
    if (left.isEmpty()) {
      pilot.groupCleared = true;
    } else {
      log.error("pilot queue {}: local pilot {} ended but processes {} of its group survive"
          + " SIGKILL", pilot.id.queue(), pilot.id.name(), left);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized Map<PilotId, PilotInfo> status(String queue) {
    Instant now = clock.instant();
    pilots.values().removeIf(p -> p.ended != null && p.ended.plus(retention).isBefore(now));
    Map<PilotId, PilotInfo> result = new LinkedHashMap<>();
    for (Pilot p : pilots.values()) {
      if (p.id.queue().equals(queue)) {
        result.put(p.id, info(p));
      }
    }
    return result;
  }

  private static PilotInfo info(Pilot p) {
    if (p.process.isAlive()) {
      return PilotInfo.running(p.submitted);
    }
    int code = p.process.exitValue();
    String reason;
    if (p.retired) {
      reason = "retired";
    } else if (code > 128) {
      reason = "killed by signal " + (code - 128);
    } else {
      reason = "exited " + code;
    }
    return PilotInfo.done(p.submitted, code, reason);
  }

  @Override
  public void retire(List<PilotId> ids) {
    List<Pilot> victims = new ArrayList<>();
    synchronized (this) {
      for (PilotId id : ids) {
        Pilot p = pilots.get(id);
        if (p != null && p.process.isAlive()) {
          p.retired = true;
          victims.add(p);
        }
      }
    }
    terminate(victims, grace);
  }

  /** SIGTERM to each pilot's tree, SIGKILL to what is left after the grace period. */
  private static void terminate(List<Pilot> victims, Duration grace) {
    if (victims.isEmpty()) {
      return;
    }
    for (Pilot p : victims) {
      log.info("pilot queue {}: terminating local pilot {}", p.id.queue(), p.id.name());
    }
    signal(victims, false);
    if (awaitGone(victims, grace)) {
      return;
    }
    signal(victims, true);
    if (!awaitGone(victims, KILL_WAIT)) {
      List<Long> left = new ArrayList<>();
      victims.forEach(p -> left.addAll(tree(p)));
      throw new IllegalStateException(
          "local pilots " + victims.stream().map(p -> p.id.toString()).toList()
              + " still have processes " + left + " " + KILL_WAIT.toSeconds()
              + " s after SIGKILL");
    }
  }

  private static void signal(List<Pilot> victims, boolean kill) {
    for (Pilot p : victims) {
      for (long pid : tree(p)) {
        ProcessHandle.of(pid).ifPresent(h -> {
          if (kill) {
            h.destroyForcibly();
          } else {
            h.destroy();
          }
        });
      }
    }
  }

  /** The pilot's process, its process group and its descendants (some may have left the group). */
  private static Set<Long> tree(Pilot p) {
    Set<Long> pids = new HashSet<>();
    if (p.groupCleared) {
      return pids;
    }
    if (p.process.isAlive()) {
      pids.add(p.process.pid());
      p.process.descendants().forEach(h -> pids.add(h.pid()));
    }
    pids.addAll(ProcessGroups.members(p.pgid()));
    return pids;
  }

  private static boolean awaitGone(List<Pilot> victims, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      if (victims.stream().allMatch(p -> tree(p).isEmpty())) {
        return true;
      }
      if (System.nanoTime() >= deadline || Thread.currentThread().isInterrupted()) {
        return false;
      }
      pause();
    }
  }

  /** Retires every live pilot of every queue (grace included) and returns when they are gone. */
  @Override
  public void close() {
    List<Pilot> live;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      live = pilots.values().stream().filter(p -> !tree(p).isEmpty()).toList();
      live.forEach(p -> p.retired = p.retired || p.process.isAlive());
    }
    try {
      terminate(live, grace);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The hook is running or has run; nothing to undo.
      }
    }
  }

  private void killAllNow() {
    List<Pilot> live;
    synchronized (this) {
      live = List.copyOf(pilots.values());
    }
    signal(live, true);
  }

  /**
   * Kills pilots left running under {@code root} by an earlier JVM that ended without closing its
   * submitter: every {@code <root>/<queue>/<pilot>/pilot.pid} whose process still exists with the
   * recorded start time has its process group killed. Call it before starting a submitter on that
   * root, never while another live submitter uses it.
   *
   * @return the pilots found running and killed
   */
  public static List<PilotId> reapLeftovers(Path root) throws IOException {
    List<PilotId> reaped = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return reaped;
    }
    try (DirectoryStream<Path> queues = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path queue : queues) {
        try (DirectoryStream<Path> sandboxes = Files.newDirectoryStream(queue)) {
          for (Path sandbox : sandboxes) {
            Path pidFile = sandbox.resolve("pilot.pid");
            if (!Files.isRegularFile(pidFile)) {
              continue;
            }
            String[] fields = Files.readString(pidFile, StandardCharsets.US_ASCII).trim().split(" ");
            long pid = Long.parseLong(fields[0]);
            long startTime = Long.parseLong(fields[1]);
            Optional<Long> now = ProcessGroups.startTime(pid);
            if (now.isPresent() && now.get() == startTime) {
              ProcessGroups.members(pid)
                  .forEach(m -> ProcessHandle.of(m).ifPresent(ProcessHandle::destroyForcibly));
              ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
              PilotId id =
                  new PilotId(queue.getFileName().toString(), sandbox.getFileName().toString());
              log.warn("pilot queue {}: killed leftover local pilot {} (pid {})", id.queue(),
                  id.name(), pid);
              reaped.add(id);
            }
          }
        }
      }
    }
    return reaped;
  }
}
