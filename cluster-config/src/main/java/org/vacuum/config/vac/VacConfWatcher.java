package org.vacuum.config.vac;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.vacuum.config.VacuumSettings.VacConfPaths;

/**
 * Keeps a factory's vac.conf current without a restart, as Vac did by re-reading it every cycle,
 * but reacting to edits within a fraction of a second.
 *
 * <p>Contract: one daemon thread reads the files at start and again whenever one of them (or the
 * drop-in directory, including its appearing later) is created, modified, deleted or renamed;
 * events are debounced by {@value #DEBOUNCE_MILLIS} ms so that an editor's or Puppet's burst of
 * writes is read once. Because a {@link WatchService} can miss events on some filesystems (NFS,
 * some overlays, files replaced through symlinks), the files are also compared every {@code
 * recheck} interval. Vacuum pipes are fetched on that thread too (through {@link VacuumPipes}): a
 * recheck that finds a pipe due re-reads the configuration, fetching it, and a pipe whose content
 * changed is applied like an edit (its digest is part of the fingerprint); a failed fetch keeps
 * the cached pipe and only adds a warning. The listener is called from that thread, never
 * concurrently:
 *
 * <ul>
 *   <li>{@link Applied} for the first good read and for every later one whose {@link
 *       VacConf#fingerprint()} differs from the last applied one, or that follows a rejection;
 *   <li>{@link Rejected} when the files stop being a valid configuration (once per distinct
 *       error). The last good configuration stays {@link #current()}; Vac likewise skipped its
 *       cycles until the files were fixed.
 * </ul>
 */
public final class VacConfWatcher implements AutoCloseable {

  /** What the listener is told. */
  public sealed interface Update permits Applied, Rejected {}

  /** This configuration is now in force. */
  public record Applied(VacConf conf) implements Update {}

  /**
   * The files are not a valid configuration: {@code error} says where and why; {@code lastGood}
   * (null if there was none yet) stays in force.
   */
  public record Rejected(String error, VacConf lastGood) implements Update {}

  /** How often the files are compared even without a filesystem event. */
  public static final Duration DEFAULT_RECHECK = Duration.ofSeconds(5);

  static final long DEBOUNCE_MILLIS = 200;
  // A file rewritten without pause still gets read this often.
  private static final long MAX_DEBOUNCE_MILLIS = 2000;
  private static final System.Logger LOG = System.getLogger(VacConfWatcher.class.getName());

  private final VacConfPaths paths;
  private final Host host;
  private final VacuumPipes pipes;
  private final Consumer<Update> listener;
  private final long recheckNanos;
  private final WatchService watchService;
  private final Thread thread;
  private final Path dir;
  private final Set<Path> interesting;

  private volatile VacConf current;
  private volatile String error;
  private volatile boolean closed;

  // Only the watcher thread touches these.
  private final Map<Path, WatchKey> watched = new HashMap<>();
  private String lastSourcesDigest;

  private VacConfWatcher(VacConfPaths paths, Host host, Consumer<Update> listener, Duration recheck,
      VacuumPipes pipes) throws IOException {
    if (recheck.isZero() || recheck.isNegative()) {
      throw new IllegalArgumentException("recheck interval must be positive: " + recheck);
    }
    this.paths = paths;
    this.host = host;
    this.pipes = pipes;
    this.listener = listener;
    this.recheckNanos = recheck.toNanos();
    this.dir = normal(paths.dir());
    this.interesting = Set.of(dir, normal(paths.file()), normal(paths.runFile()));
    this.watchService = FileSystems.getDefault().newWatchService();
    this.thread = new Thread(this::run, "vac-conf-watcher");
    thread.setDaemon(true);
  }

  /** Starts watching with the default recheck interval ({@link #DEFAULT_RECHECK}). */
  public static VacConfWatcher start(VacConfPaths paths, Host host, Consumer<Update> listener) throws IOException {
    return start(paths, host, listener, DEFAULT_RECHECK);
  }

  /**
   * Starts watching; the first read happens on the watcher thread at once and is reported to
   * {@code listener} like every later one.
   *
   * @param recheck how often the files are compared even without a filesystem event
   * @throws IOException if no {@link WatchService} can be created
   */
  public static VacConfWatcher start(VacConfPaths paths, Host host, Consumer<Update> listener, Duration recheck)
      throws IOException {
    return start(paths, host, listener, recheck,
        VacuumPipes.fetching(host.stateDir(), PipeFetcher.standard(), java.time.Clock.systemUTC()));
  }

  /**
   * Starts watching, getting the pipes from {@code pipes} (tests pass their own fetcher and clock).
   *
   * @param recheck how often the files are compared, and pipes' {@code cache_seconds} looked at,
   *     even without a filesystem event
   * @throws IOException if no {@link WatchService} can be created
   */
  public static VacConfWatcher start(VacConfPaths paths, Host host, Consumer<Update> listener, Duration recheck,
      VacuumPipes pipes) throws IOException {
    VacConfWatcher watcher = new VacConfWatcher(paths, host, listener, recheck, pipes);
    watcher.thread.start();
    return watcher;
  }

  /** The configuration in force: the last one applied, or null before the first good read. */
  public VacConf current() {
    return current;
  }

  /** Why the files on disk are not in force, if they are not. */
  public Optional<String> error() {
    return Optional.ofNullable(error);
  }

  /** Whether the watcher thread is still running (false once {@link #close()} has returned). */
  boolean isRunning() {
    return thread.isAlive();
  }

  /** Stops watching; the listener is not called after this returns (unless called from the listener). */
  @Override
  public void close() {
    closed = true;
    try {
      watchService.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing the vac.conf watch service", e);
    }
    if (Thread.currentThread() != thread) {
      thread.interrupt();
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void run() {
    try {
      watchDirectories();
      check();
      long nextRecheck = System.nanoTime() + recheckNanos;
      long readAt = Long.MAX_VALUE;
      long firstEvent = 0;
      while (!closed) {
        long wait = Math.max(0, Math.min(nextRecheck, readAt) - System.nanoTime());
        WatchKey key = watchService.poll(wait, TimeUnit.NANOSECONDS);
        boolean relevant = false;
        while (key != null) {
          relevant |= relevant(key);
          key = watchService.poll();
        }
        long now = System.nanoTime();
        if (relevant) {
          if (readAt == Long.MAX_VALUE) {
            firstEvent = now;
          }
          readAt = Math.min(now + TimeUnit.MILLISECONDS.toNanos(DEBOUNCE_MILLIS),
              firstEvent + TimeUnit.MILLISECONDS.toNanos(MAX_DEBOUNCE_MILLIS));
        }
        if (now >= readAt || now >= nextRecheck) {
          readAt = Long.MAX_VALUE;
          nextRecheck = now + recheckNanos;
          watchDirectories();
          check();
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // close() was called.
    }
  }

  /** Consumes a key's events; true if one concerns a vac.conf file or the drop-in directory. */
  private boolean relevant(WatchKey key) {
    Path watchedDir = (Path) key.watchable();
    boolean relevant = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == OVERFLOW) {
        relevant = true;
      } else {
        Path changed = watchedDir.resolve((Path) event.context());
        relevant |= watchedDir.equals(dir) || interesting.contains(changed);
      }
    }
    if (!key.reset()) {
      // The directory went away; watchDirectories() registers it again if it comes back.
      watched.remove(watchedDir);
      relevant = true;
    }
    return relevant;
  }

  /** Watches the drop-in directory, its parent (to see it appear) and the two files' directories. */
  private void watchDirectories() {
    Set<Path> wanted = new LinkedHashSet<>();
    wanted.add(dir);
    for (Path p : interesting) {
      if (p.getParent() != null) {
        wanted.add(p.getParent());
      }
    }
    for (Path d : wanted) {
      WatchKey key = watched.get(d);
      if ((key == null || !key.isValid()) && Files.isDirectory(d)) {
        try {
          watched.put(d, d.register(watchService, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY));
        } catch (IOException e) {
          // The periodic recheck still sees changes there.
          LOG.log(System.Logger.Level.DEBUG, "cannot watch " + d + ": " + e);
        }
      }
    }
  }

  /**
   * Reads the files; interprets them if they changed, if the last attempt failed (a volume group
   * may have appeared), or if a pipe is due to be fetched.
   */
  private void check() {
    VacConfReader.Sources sources = VacConfReader.load(paths);
    String digest = digest(sources);
    if (digest.equals(lastSourcesDigest) && error == null && !pipeDue()) {
      return;
    }
    lastSourcesDigest = digest;
    VacConf conf;
    try {
      conf = VacConfReader.interpret(sources, paths, host, pipes);
    } catch (VacConfException e) {
      reject(e.getMessage());
      return;
    } catch (RuntimeException e) {
      reject("cannot read vac.conf: " + e);
      return;
    }
    boolean wasRejected = error != null;
    VacConf before = current;
    if (before == null || wasRejected || !before.fingerprint().equals(conf.fingerprint())) {
      current = conf;
      error = null;
      tell(new Applied(conf));
    }
  }

  private boolean pipeDue() {
    VacConf conf = current;
    return conf != null && conf.pipes().values().stream().anyMatch(p -> pipes.due(p.prefix(), p.vacuumPipeUrl()));
  }

  private void reject(String message) {
    if (!message.equals(error)) {
      error = message;
      tell(new Rejected(message, current));
    }
  }

  private void tell(Update update) {
    if (closed) {
      return;
    }
    try {
      listener.accept(update);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "vac.conf listener failed on " + update.getClass().getSimpleName(), e);
    }
  }

  /** Identifies the raw files (names and text) so unchanged files are not interpreted again. */
  private static String digest(VacConfReader.Sources sources) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    for (VacConfReader.Source s : sources.files()) {
      update(md, s.path().toString());
      update(md, s.text());
    }
    for (String w : sources.warnings()) {
      update(md, w);
    }
    return java.util.HexFormat.of().formatHex(md.digest());
  }

  private static void update(MessageDigest md, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    md.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    md.update(bytes);
  }

  private static Path normal(Path p) {
    return p.toAbsolutePath().normalize();
  }
}
