package org.vacuum.config.vac;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the reader gets each {@code [vacuum_pipe PREFIX]}'s pipe from: the cache file {@code
 * STATE_DIR/pipescache/PREFIX.pipe} (Vac master's name, reference/vac.md §7.2), fetched again
 * through a {@link PipeFetcher} once it is older than the pipe's {@code cache_seconds}.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #cacheOnly} never fetches (Vac's responder and {@code vac} command); {@link
 *       #fetching} fetches when the cache is missing, unreadable, from another URL, or older than
 *       {@code cache_seconds} (Vac's factory cycle). Its age is the cache file's modification time,
 *       which is set to the fetch time by this clock.
 *   <li>A good fetch replaces the cache atomically (temporary file, then rename), re-serialised
 *       with the URL it came from. A failed fetch or a body that is not a pipe leaves the cache as it
 *       was and the cached copy is used, with a warning naming the URL and the reason. <b>This
 *       differs from Vac</b>, which created no machinetypes from such a pipe until a fetch worked:
 *       an outage of the VO's web server should not stop the site's machines for that VO. With no
 *       usable cache the pipe gives no machinetypes, also with a warning (Vac: skipped, not an error).
 *   <li>After a failed attempt the next one waits {@link #RETRY_AFTER_FAILURE} (Vac's cycle), and
 *       no pipe is fetched more often than that even if its {@code cache_seconds} is smaller, so a
 *       5-s recheck cannot hammer the VO's server.
 * </ul>
 *
 * Thread-safe; one instance keeps the failure memory for one reader of the configuration.
 */
public final class VacuumPipes {

  /** Vac's {@code cache_seconds} when the pipe gives none (reference/vac.md §7.2). */
  public static final int DEFAULT_CACHE_SECONDS = 3600;

  /** Vac's factory cycle: the fastest it could fetch again. */
  public static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(60);

  /** The key added to a cached pipe recording where it was fetched from. */
  static final String URL_KEY = "vacuum_pipe_url";

  private static final System.Logger LOG = System.getLogger(VacuumPipes.class.getName());

  /** What the reader gets: the pipe to expand (null if none is usable) and what to warn about. */
  public record Loaded(PipeContent content, List<String> warnings) {}

  private record Cached(String url, PipeContent content, Instant fetchedAt) {}

  // When each prefix should next be fetched, and for which URL that was decided.
  private record Next(String url, Instant at) {}

  private final Path cacheDir;
  private final PipeFetcher fetcher;
  private final Clock clock;
  private final Map<String, Next> next = new HashMap<>();
  // The last good copy of each pipe by prefix, so a cache file that cannot be written costs no refetch.
  private final Map<String, Cached> held = new HashMap<>();

  private VacuumPipes(Path stateDir, PipeFetcher fetcher, Clock clock) {
    this.cacheDir = stateDir.resolve("pipescache");
    this.fetcher = fetcher;
    this.clock = clock;
  }

  /** Fetches pipes that are due through {@code fetcher}, caching them under {@code stateDir}. */
  public static VacuumPipes fetching(Path stateDir, PipeFetcher fetcher, Clock clock) {
    return new VacuumPipes(stateDir, fetcher, clock);
  }

  /** Uses the cache under {@code stateDir} only, whatever its age. */
  public static VacuumPipes cacheOnly(Path stateDir) {
    return new VacuumPipes(stateDir, null, Clock.systemUTC());
  }

  /** The cache file of the pipe with this prefix. */
  public Path cacheFile(String prefix) {
    return cacheDir.resolve(prefix + ".pipe");
  }

  /**
   * Whether {@link #load} would fetch this pipe now. Cheap (no file access once a pipe has been
   * loaded): the watcher asks this on every recheck.
   */
  public synchronized boolean due(String prefix, String url) {
    if (fetcher == null) {
      return false;
    }
    Next n = next.get(prefix);
    return n == null || !n.url().equals(url) || !clock.instant().isBefore(n.at());
  }

  /** The pipe to expand for {@code [vacuum_pipe prefix]} now, fetched first if it is due. */
  public synchronized Loaded load(String prefix, String url) {
    List<String> warnings = new ArrayList<>();
    Path file = cacheFile(prefix);
    // Cache-only readers look at the file each time: the factory may have refreshed it.
    Cached cached = fetcher == null ? null : held.get(prefix);
    if (cached == null || !cached.url().equals(url)) {
      cached = readCache(file, url, warnings);
      if (cached != null) {
        held.put(prefix, cached);
      }
    }
    Instant now = clock.instant();
    boolean stale = cached == null
        || !now.isBefore(cached.fetchedAt().plusSeconds(Math.max(cached.content().cacheSeconds(),
            RETRY_AFTER_FAILURE.toSeconds())));
    if (fetcher == null) {
      if (cached == null) {
        warnings.add("no cached copy of " + url + " in " + file + " yet: its machinetypes are absent until the"
            + " factory fetches it");
      }
      return new Loaded(cached == null ? null : cached.content(), List.copyOf(warnings));
    }
    Next planned = next.get(prefix);
    boolean retryWaiting = planned != null && planned.url().equals(url) && now.isBefore(planned.at());
    if (!stale || retryWaiting) {
      if (cached == null) {
        warnings.add("fetching " + url + " failed recently and there is no cached copy in " + file
            + ": its machinetypes are absent until a fetch works (next try at " + planned.at() + ")");
      } else if (planned == null || !planned.url().equals(url)) {
        next.put(prefix, new Next(url, cached.fetchedAt().plusSeconds(Math.max(cached.content().cacheSeconds(),
            RETRY_AFTER_FAILURE.toSeconds()))));
      }
      return new Loaded(cached == null ? null : cached.content(), List.copyOf(warnings));
    }
    try {
      PipeContent fetched = PipeContent.parse(fetcher.fetch(url));
      next.put(prefix, new Next(url, now.plusSeconds(Math.max(fetched.cacheSeconds(),
          RETRY_AFTER_FAILURE.toSeconds()))));
      held.put(prefix, new Cached(url, fetched, now));
      writeCache(file, url, fetched, now, warnings);
      LOG.log(System.Logger.Level.INFO, "vacuum pipe " + prefix + ": fetched " + url + " ("
          + fetched.machinetypes().size() + " machinetypes, cache_seconds " + fetched.cacheSeconds() + ")");
      return new Loaded(fetched, List.copyOf(warnings));
    } catch (IOException | RuntimeException e) {
      next.put(prefix, new Next(url, now.plus(RETRY_AFTER_FAILURE)));
      String why = "fetching " + url + " failed (" + e.getMessage() + "); ";
      String what = cached != null
          ? why + "the copy cached at " + cached.fetchedAt() + " is used"
          : why + "there is no cached copy in " + file + ", so its machinetypes are absent until a fetch works";
      LOG.log(System.Logger.Level.WARNING, "vacuum pipe " + prefix + ": " + what);
      warnings.add(what);
      return new Loaded(cached == null ? null : cached.content(), List.copyOf(warnings));
    }
  }

  /** The cached pipe if there is one for this URL; an unreadable one is warned about and treated as none. */
  private static Cached readCache(Path file, String url, List<String> warnings) {
    byte[] bytes;
    FileTime modified;
    try {
      modified = Files.getLastModifiedTime(file);
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      warnings.add("the cached pipe " + file + " cannot be read (" + e + "); it is fetched again");
      return null;
    }
    try {
      Map<String, Object> pipe = PipeContent.object(bytes);
      Object from = pipe.remove(URL_KEY);
      if (!url.equals(from)) {
        // vacuum_pipe_url was changed: the cached copy is another pipe.
        return null;
      }
      return new Cached(url, PipeContent.of(pipe), modified.toInstant());
    } catch (IOException e) {
      warnings.add("the cached pipe " + file + " is not a pipe (" + e.getMessage() + "); it is fetched again");
      return null;
    }
  }

  private static void writeCache(Path file, String url, PipeContent content, Instant fetchedAt, List<String> warnings) {
    Map<String, Object> pipe;
    try {
      pipe = PipeContent.object(content.json().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("a re-serialised pipe parses again", e);
    }
    pipe.put(URL_KEY, url);
    Path tmp = null;
    try {
      Files.createDirectories(file.getParent());
      tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
      Files.writeString(tmp, PipeContent.serialise(pipe) + "\n");
      Files.setLastModifiedTime(tmp, FileTime.from(fetchedAt));
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      warnings.add("the pipe fetched from " + url + " cannot be cached in " + file + " (" + e + "); the fetched"
          + " copy is used while this process runs");
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Nothing more can be done about a temporary file that cannot be removed.
        }
      }
    }
  }
}
