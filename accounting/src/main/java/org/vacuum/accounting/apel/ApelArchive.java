package org.vacuum.accounting.apel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The APEL directories of one node (reference/vac.md §5.3): every accounted machine's individual
 * record goes to {@code apel-archive/YYYYMMDD/HHMMSS12345678}, and also to the same name under
 * {@code apel-outgoing/} when it can be published (gocdb_sitename and hs06_per_processor set; see
 * {@link ApelRecords#publishable}). ssmsend sends and deletes what is in apel-outgoing; nothing
 * here ever deletes a record.
 *
 * <p>Exactly one record per machine uuid, across retries and crashes. {@link #account} goes
 * through three durable steps, each an atomic rename:
 *
 * <ol>
 *   <li>the intent {@code apel-accounted/<uuid>.intent}: the file names chosen for this machine
 *       and the record's text;
 *   <li>the record at those names in apel-archive, then apel-outgoing;
 *   <li>the intent renamed to {@code apel-accounted/<uuid>}: the machine is accounted.
 * </ol>
 *
 * A retry after a crash finds the intent and rewrites the same text at the same names, so it
 * replaces a file rather than adding one. The one gap left: if ssmsend sent and deleted the
 * outgoing file between step 2 and 3, the retry writes it again, and APEL receives the same job
 * (same LocalJobId and SubmitHost) twice, which its server merges.
 *
 * <p>Thread-safe: calls for one accounting directory are serialised, also across instances.
 */
public final class ApelArchive {

  static final String ACCOUNTED = "apel-accounted";
  private static final String INTENT = ".intent";
  // A uuid becomes a file name: no separators, no leading dot.
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
  // Per accounting directory: the lock, and the names chosen by intents not yet written (so two
  // machines accounted in the same instant get different names).
  private static final ConcurrentHashMap<Path, Set<String>> RESERVED = new ConcurrentHashMap<>();

  private final Path dir;
  private final Path archive;
  private final Path outgoing;
  private final Path accounted;
  private final Path tmp;
  private final Set<String> reserved;
  private final Object lock;

  /** @param accountingDir holds apel-archive/, apel-outgoing/ (and apel-accounted/, apel-tmp/) */
  public ApelArchive(Path accountingDir) {
    this.dir = accountingDir.toAbsolutePath().normalize();
    this.archive = dir.resolve(ApelFiles.ARCHIVE);
    this.outgoing = dir.resolve(ApelFiles.OUTGOING);
    this.accounted = dir.resolve(ACCOUNTED);
    this.tmp = dir.resolve(ApelFiles.TMP);
    this.reserved = RESERVED.computeIfAbsent(dir, d -> new HashSet<>());
    this.lock = reserved;
  }

  /**
   * Writes job's record unless one was already written for {@code job.machineUuid()}; idempotent,
   * crash-safe. Returns the archive file. {@code now} names the files the first time; a retry
   * keeps the names (and text) chosen then.
   *
   * @throws IOException when a directory or file cannot be written; the call may be retried
   */
  public Path account(ApelJob job, Instant now) throws IOException {
    synchronized (lock) {
      Path done = accounted.resolve(fileId(job.machineUuid()));
      if (Files.exists(done)) {
        return archive.resolve(Intent.read(done).archiveName());
      }
      Intent intent = intend(job, now);
      writeRecords(intent);
      finish(job.machineUuid());
      return archive.resolve(intent.archiveName());
    }
  }

  /** Whether a record was written for this machine: its accounting finished (step 3 above). */
  public boolean accounted(String machineUuid) {
    return Files.exists(accounted.resolve(fileId(machineUuid)));
  }

  /** The directory holding apel-archive/ and apel-outgoing/. */
  public Path directory() {
    return dir;
  }

  /** Step 1: the intent for this machine, the one already on disk or a new one for {@code now}. */
  Intent intend(ApelJob job, Instant now) throws IOException {
    synchronized (lock) {
      Path file = accounted.resolve(fileId(job.machineUuid()) + INTENT);
      if (Files.exists(file)) {
        return Intent.read(file);
      }
      String day = ApelFiles.day(now);
      String name = ApelFiles.name(now);
      while (reserved.contains(day + "/" + name) || Files.exists(archive.resolve(day).resolve(name))
          || Files.exists(outgoing.resolve(day).resolve(name))) {
        name = ApelFiles.next(name);
      }
      Intent intent = new Intent(day + "/" + name, ApelRecords.publishable(job), ApelRecords.individual(job));
      ApelFiles.directory(dir, accounted);
      ApelFiles.write(tmp, file, intent.text());
      reserved.add(intent.archiveName());
      return intent;
    }
  }

  /** Step 2: the record at the intent's names; rewriting them is harmless. */
  void writeRecords(Intent intent) throws IOException {
    synchronized (lock) {
      Path a = archive.resolve(intent.archiveName());
      ApelFiles.directory(dir, a.getParent());
      ApelFiles.write(tmp, a, intent.record());
      if (intent.outgoing()) {
        Path o = outgoing.resolve(intent.archiveName());
        ApelFiles.directory(dir, o.getParent());
        ApelFiles.write(tmp, o, intent.record());
      }
    }
  }

  /** Step 3: the intent becomes the mark that the machine is accounted. */
  void finish(String machineUuid) throws IOException {
    synchronized (lock) {
      Path intentFile = accounted.resolve(fileId(machineUuid) + INTENT);
      Intent intent = Intent.read(intentFile);
      Files.move(intentFile, accounted.resolve(fileId(machineUuid)), StandardCopyOption.ATOMIC_MOVE);
      reserved.remove(intent.archiveName());
    }
  }

  private static String fileId(String machineUuid) {
    if (machineUuid == null || !SAFE_ID.matcher(machineUuid).matches()) {
      throw new IllegalArgumentException("machine uuid '" + machineUuid + "' cannot name an accounting file");
    }
    return machineUuid;
  }

  /**
   * What step 1 decided: {@code archiveName} is {@code YYYYMMDD/HHMMSS12345678} under apel-archive
   * (and under apel-outgoing when {@code outgoing}), {@code record} the text to write there. On
   * disk: "archive NAME", "outgoing NAME" when published, an empty line, the record.
   */
  record Intent(String archiveName, boolean outgoing, String record) {

    String text() {
      return "archive " + archiveName + "\n" + (outgoing ? "outgoing " + archiveName + "\n" : "") + "\n" + record;
    }

    static Intent read(Path file) throws IOException {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      int blank = text.indexOf("\n\n");
      if (blank < 0 || !text.startsWith("archive ")) {
        throw new IOException(file + ": not an accounting intent (delete it only if its machine has no record)");
      }
      String[] head = text.substring(0, blank).split("\n");
      String name = head[0].substring("archive ".length());
      boolean outgoing = head.length > 1 && head[1].startsWith("outgoing ");
      return new Intent(name, outgoing, text.substring(blank + 2));
    }
  }
}
