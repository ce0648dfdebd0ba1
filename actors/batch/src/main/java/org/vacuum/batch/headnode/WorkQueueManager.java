package org.vacuum.batch.headnode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Work Queue manager (the head node of a {@code workqueue} virtual cluster) run as a local
 * process on the control node: a small Python program on the {@code work_queue} module of Debian's
 * {@code python3-workqueue} (cctools; {@code coop-computing-tools} itself ships workers, {@code
 * work_queue_status} and makeflow, but no stand-alone manager).
 *
 * <p>The manager listens on the given port (0: the first free one from 1024 up, Work Queue's own
 * choice), has the project name, requires the password (staged as {@code manager.secret}, mode
 * 0600, in the manager's directory), and advertises itself only to the catalog given, if any.
 * Every change, and at least once a second, it writes its counters to {@code status.json}, which
 * {@link #status()} reads: {@code work_queue_status HOST PORT} cannot be used, because a manager
 * with a password refuses unauthenticated status queries. Tasks sent with {@link #submitTask} run
 * on the connected workers (the workload).
 *
 * <p>{@link #start} returns once the manager listens, or fails naming the cause (the manager's
 * stderr, e.g. a missing {@code python3-workqueue}) and leaves no process. The manager reads its
 * commands from stdin and ends when stdin closes, so it never outlives this JVM, even one killed
 * outright. {@link #stop()} closes stdin, waits for the manager's end, forcing it after a grace
 * period, and leaves no process; workers connected to it are not told to stop (they are pilots:
 * their submitter retires them) and leave on their own idle timeout.
 */
public final class WorkQueueManager implements AutoCloseable {

  /** How to run a manager. {@code host} is the address workers are told to connect to. */
  public record Settings(
      Path directory,
      String project,
      byte[] password,
      String host,
      int port,
      Optional<String> catalog,
      String python,
      Duration startTimeout,
      Duration grace) {

    public Settings {
      Objects.requireNonNull(directory, "directory");
      Objects.requireNonNull(project, "project");
      Objects.requireNonNull(password, "password");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(catalog, "catalog");
      Objects.requireNonNull(python, "python");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("work queue manager " + project + ": port " + port
            + " is not 0 (any free port) or a TCP port");
      }
    }

    /**
     * A manager for local pilots: any free port, workers connect over loopback, no catalog,
     * Debian's Python, 30 s to start, 5 s grace to stop.
     */
    public static Settings local(Path directory, String project, byte[] password) {
      return new Settings(directory, project, password, "127.0.0.1", 0, Optional.empty(),
          "/usr/bin/python3", Duration.ofSeconds(30), Duration.ofSeconds(5));
    }
  }

  private static final Logger log = LoggerFactory.getLogger(WorkQueueManager.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(50);

  private final Settings settings;
  private final Process process;
  private final OutputStream commands;
  private final int port;
  private final Thread shutdownHook;
  private boolean stopped;

  private WorkQueueManager(Settings settings, Process process, int port) {
    this.settings = settings;
    this.process = process;
    this.commands = process.getOutputStream();
    this.port = port;
    this.shutdownHook = new Thread(process::destroyForcibly, "work-queue-manager-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts a manager and returns once it listens. */
  public static WorkQueueManager start(Settings settings) throws IOException {
    Path dir = settings.directory();
    Files.createDirectories(dir);
    Path script = dir.resolve("vacuum-wq-manager.py");
    Files.writeString(script, SCRIPT);
    Path secret = dir.resolve("manager.secret");
    Files.deleteIfExists(secret);
    Files.createFile(secret, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.write(secret, settings.password());
    Path statusFile = dir.resolve("status.json");
    Files.deleteIfExists(statusFile);
    List<String> command = new ArrayList<>(List.of(settings.python(), "-u", script.toString(),
        settings.project(), secret.toString(), statusFile.toString(),
        Integer.toString(settings.port()), settings.catalog().orElse("")));
    Process process = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectOutput(dir.resolve("manager.out").toFile())
        .redirectError(dir.resolve("manager.err").toFile())
        .start();
    long deadline = System.nanoTime() + settings.startTimeout().toNanos();
    try {
      while (true) {
        Optional<JsonNode> status = readStatus(statusFile);
        if (status.isPresent()) {
          int port = status.get().path("port").asInt();
          log.info("work queue manager {} listening on port {} (pid {})", settings.project(),
              port, process.pid());
          return new WorkQueueManager(settings, process, port);
        }
        if (!process.isAlive()) {
          throw new IOException("work queue manager " + settings.project() + " in " + dir
              + " exited with status " + process.exitValue() + " before listening: "
              + tail(dir.resolve("manager.err")));
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("work queue manager " + settings.project() + " in " + dir
              + " did not listen within " + settings.startTimeout().toSeconds() + " s: "
              + tail(dir.resolve("manager.err")));
        }
        Thread.sleep(POLL.toMillis());
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException again) {
        Thread.currentThread().interrupt();
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting work queue manager "
            + settings.project(), e);
      }
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
  }

  public String project() {
    return settings.project();
  }

  /** The address workers connect to. */
  public String host() {
    return settings.host();
  }

  public int port() {
    return port;
  }

  /** The manager's process id, for operators and tests. */
  public long pid() {
    return process.pid();
  }

  /**
   * The manager's latest counters.
   *
   * @throws IllegalStateException if the manager has exited (with its stderr's last lines) or
   *     its status cannot be read
   */
  public WorkQueueStatus status() {
    if (!process.isAlive()) {
      throw new IllegalStateException("work queue manager " + settings.project() + " exited with"
          + " status " + process.exitValue() + ": " + tail(settings.directory().resolve(
              "manager.err")));
    }
    Path file = settings.directory().resolve("status.json");
    JsonNode s = readStatus(file).orElseThrow(() -> new IllegalStateException(
        "work queue manager " + settings.project() + ": no status in " + file));
    List<WorkQueueStatus.FinishedTask> finished = new ArrayList<>();
    for (JsonNode t : s.path("finished")) {
      finished.add(new WorkQueueStatus.FinishedTask(t.path("tag").asText(),
          t.path("result").asInt(), t.path("return_status").asInt(), t.path("output").asText()));
    }
    return new WorkQueueStatus(s.path("project").asText(), s.path("port").asInt(),
        s.path("workers_connected").asInt(), s.path("workers_init").asInt(),
        s.path("workers_idle").asInt(), s.path("workers_busy").asInt(),
        s.path("tasks_waiting").asInt(), s.path("tasks_running").asInt(),
        s.path("tasks_done").asInt(), finished,
        Instant.ofEpochMilli((long) (s.path("updated").asDouble() * 1000)));
  }

  /**
   * Queues a task: {@code command} runs through {@code /bin/sh} on some worker; its outcome shows
   * in {@link WorkQueueStatus#finished()} under {@code tag} (no spaces or newlines).
   */
  public synchronized void submitTask(String tag, String command) throws IOException {
    if (tag.isEmpty() || tag.matches(".*\\s.*") || command.contains("\n")) {
      throw new IllegalArgumentException("work queue task tag '" + tag
          + "' must be one word and its command one line");
    }
    if (stopped) {
      throw new IllegalStateException("work queue manager " + settings.project() + " is stopped");
    }
    commands.write(("task " + tag + " " + command + "\n").getBytes(StandardCharsets.UTF_8));
    commands.flush();
  }

  /** Stops the manager; returns when its process has gone. Idempotent. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      commands.close();
    } catch (IOException e) {
      // The manager already went away: nothing left to tell it.
    }
    try {
      if (!awaitExit(settings.grace())) {
        log.warn("work queue manager {} did not end within {} s of its stdin closing; killing"
            + " it", settings.project(), settings.grace().toSeconds());
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!awaitExit(Duration.ofSeconds(5))) {
          throw new IllegalStateException("work queue manager " + settings.project() + " (pid "
              + process.pid() + ") survives SIGKILL");
        }
      }
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The hook is running or has run.
      }
    }
    log.info("work queue manager {} stopped", settings.project());
  }

  private boolean awaitExit(Duration limit) {
    try {
      return process.waitFor(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static Optional<JsonNode> readStatus(Path file) {
    try {
      return Optional.of(JSON.readTree(Files.readString(file)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read work queue manager status " + file + ": "
          + e.getMessage(), e);
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no " + file + ")";
    }
  }

  /**
   * The manager program. Arguments: project, password file, status file, port (0 = any), catalog
   * ({@code host:port} or empty: advertise nowhere). Commands on stdin, one a line: {@code task
   * TAG COMMAND}. The status file is replaced atomically (rename).
   */
  private static final String SCRIPT = """
      import json, os, select, sys, time
      import work_queue as wq

      project, password_file, status_file, port, catalog = sys.argv[1:6]
      q = wq.WorkQueue(port=int(port), name=project)
      if catalog:
          host, _, cport = catalog.rpartition(":")
          q.specify_catalog_server(host, int(cport))
      else:
          # Work Queue advertises a named manager to a public catalog by default: point it at a
          # closed local port instead, so nothing leaves this host.
          q.specify_catalog_server("127.0.0.1", 1)
      q.specify_password_file(password_file)

      finished = []
      written = None
      last_write = 0.0
      pending = b""

      def write_status():
          global written, last_write
          s = q.stats
          doc = {"project": project, "port": q.port, "pid": os.getpid(),
                 "workers_connected": s.workers_connected, "workers_init": s.workers_init,
                 "workers_idle": s.workers_idle, "workers_busy": s.workers_busy,
                 "tasks_waiting": s.tasks_waiting, "tasks_running": s.tasks_running,
                 "tasks_done": s.tasks_done, "finished": finished[-100:]}
          now = time.time()
          if doc == written and now - last_write < 1.0:
              return
          written, last_write = doc, now
          doc = dict(doc, updated=now)
          tmp = status_file + ".tmp"
          with open(tmp, "w") as f:
              json.dump(doc, f)
          os.replace(tmp, status_file)

      write_status()
      while True:
          readable, _, _ = select.select([0], [], [], 0.1 if q.empty() else 0)
          if readable:
              data = os.read(0, 65536)
              if not data:
                  break
              pending += data
              while b"\\n" in pending:
                  line, pending = pending.split(b"\\n", 1)
                  words = line.decode().split(" ", 2)
                  if len(words) == 3 and words[0] == "task":
                      t = wq.Task(words[2])
                      t.specify_tag(words[1])
                      q.submit(t)
                  else:
                      print("vacuum-wq-manager: ignoring command %r" % line, file=sys.stderr)
          t = q.wait(0 if q.empty() else 1)
          if t:
              finished.append({"tag": t.tag, "result": t.result, "return_status": t.return_status,
                               "output": (t.output or "")[-2000:]})
          write_status()
      """;
}
