package org.vacuum.accounting.apel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * The on-disk conventions of Vac's APEL directories (reference/vac.md §5.3), shared by individual
 * and sync records: {@code apel-archive/YYYYMMDD/} and {@code apel-outgoing/YYYYMMDD/} with UTC
 * dates, file names {@code HHMMSS} + 8 digits of the fraction of the second, directories 0755 and
 * files 0644 whatever the umask, and every file written whole by a rename from {@code apel-tmp/}
 * (ssmsend never sees half a record).
 */
final class ApelFiles {

  static final String ARCHIVE = "apel-archive";
  static final String OUTGOING = "apel-outgoing";
  static final String TMP = "apel-tmp";

  static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);

  private ApelFiles() {}

  /** The UTC date directory name of {@code now}: {@code YYYYMMDD}. */
  static String day(Instant now) {
    return DAY.format(now);
  }

  /** The file name for {@code now}: UTC {@code HHMMSS} then the first 8 digits of the second's fraction. */
  static String name(Instant now) {
    return TIME.format(now) + String.format("%08d", now.getNano() / 10);
  }

  /** The same name with its 8 digits one higher, for a name already taken (wraps within the second). */
  static String next(String name) {
    long digits = (Long.parseLong(name.substring(6)) + 1) % 100_000_000L;
    return name.substring(0, 6) + String.format("%08d", digits);
  }

  /** Creates {@code dir} and its missing parents up to {@code top}, each new one with mode 0755. */
  static void directory(Path top, Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (dir.equals(top) || !dir.startsWith(top)) {
      // the accounting directory itself (the state directory by default) is not ours to chmod
      Files.createDirectories(dir);
      return;
    }
    directory(top, dir.getParent());
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException raced) {
      if (!Files.isDirectory(dir)) {
        throw raced;
      }
      return;
    }
    // The umask would decide otherwise; Vac's directories are world-readable for ssmsend.
    Files.setPosixFilePermissions(dir, DIR_MODE);
  }

  /**
   * Writes {@code text} to {@code target} all at once: a temporary file in {@code tmp} (same file
   * system), flushed to disk, mode 0644, then renamed over {@code target}. A reader sees the old
   * file or the new one, never a part.
   */
  static void write(Path tmp, Path target, String text) throws IOException {
    Files.createDirectories(tmp);
    Path part = Files.createTempFile(tmp, target.getFileName().toString() + ".", ".part");
    try {
      try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          ch.write(bytes);
        }
        ch.force(true);
      }
      Files.setPosixFilePermissions(part, FILE_MODE);
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(part);
    }
    syncDirectory(target.getParent());
  }

  // The rename itself is durable only once the directory is; Linux allows fsync on a directory.
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException notSupported) {
      // not every platform or file system can; the rename is still atomic
    }
  }
}
