package org.vacuum.hypervisor.machine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One machine's directory, {@code <state-dir>/machines/<created>_<machinetype>_<name>/}, laid out as
 * Vac lays it out (reference/vac.md §2.10): {@code machinefeatures/}, {@code jobfeatures/} and
 * {@code joboutputs/} beside the files {@code user_data}, {@code root_public_key} and {@code
 * console.log}.
 *
 * <p>Contract: every file this class writes is written whole or not at all: to a temporary file in
 * {@code <state-dir>/tmp} (the sibling of {@code machines/}, created when missing), chmodded to 0644,
 * then renamed over the target, so the MJF server and the machine never see half a file.
 * Directories are 0755. Feature files hold exactly the values of reference §4.1, without trailing
 * newlines except {@code allocated_cpu} and {@code allocated_CPU}. This class holds no state beyond
 * the path: several instances for one directory are fine, and nothing is cached between calls.
 * Deleting the directory is left to the caller.
 */
public final class MachineDirectory {

  /** The MJF shutdown message file in {@code joboutputs/}. */
  public static final String SHUTDOWN_MESSAGE = "shutdown_message";

  static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

  private static final Pattern DIRECTORY_NAME = Pattern.compile("([0-9]+)_([a-z0-9-]+)_([^_/]+)");
  private static final Pattern MACHINETYPE = Pattern.compile("[a-z0-9-]+");
  private static final Pattern MACHINE_NAME = Pattern.compile("[A-Za-z0-9.-]+");

  private final Path dir;

  private MachineDirectory(Path dir) {
    this.dir = dir;
  }

  /**
   * Makes {@code machinesRoot/<created>_<machinetype>_<name>/} and its three MJF subdirectories,
   * all 0755. An existing directory is reused (its modes are reset), so a retried creation does not
   * fail on its own leftovers.
   *
   * @throws IllegalArgumentException if the machinetype or name could not be parsed back from the
   *     directory name ({@code a-z 0-9 -} for types, as vac.conf allows; no {@code _} or {@code /} in names)
   */
  public static MachineDirectory create(
      Path machinesRoot, long createdEpochSeconds, String machinetype, String machineName) throws IOException {
    if (!MACHINETYPE.matcher(machinetype).matches()) {
      throw new IllegalArgumentException("machinetype '" + machinetype + "' may only contain a-z, 0-9 and -");
    }
    if (!MACHINE_NAME.matcher(machineName).matches()) {
      throw new IllegalArgumentException("machine name '" + machineName + "' may only contain A-Z, a-z, 0-9, . and -");
    }
    if (createdEpochSeconds < 0) {
      throw new IllegalArgumentException("creation time " + createdEpochSeconds + " is negative");
    }
    MachineDirectory d =
        new MachineDirectory(machinesRoot.resolve(createdEpochSeconds + "_" + machinetype + "_" + machineName));
    for (Path p : new Path[] {d.dir, d.machinefeatures(), d.jobfeatures(), d.joboutputs()}) {
      Files.createDirectories(p);
      // createDirectories honours the umask; Vac's directories are 0755 whatever it is.
      Files.setPosixFilePermissions(p, DIRECTORY_MODE);
    }
    Files.createDirectories(d.tmpDir());
    return d;
  }

  /** Wraps an existing machine directory; nothing is read or checked until a method needs it. */
  public static MachineDirectory open(Path dir) {
    return new MachineDirectory(dir);
  }

  public Path path() {
    return dir;
  }

  public Path machinefeatures() {
    return dir.resolve("machinefeatures");
  }

  public Path jobfeatures() {
    return dir.resolve("jobfeatures");
  }

  public Path joboutputs() {
    return dir.resolve("joboutputs");
  }

  /** Where the VM's serial console is logged. */
  public Path consoleLog() {
    return dir.resolve("console.log");
  }

  /** The built user_data, served by the metadata server. */
  public Path userDataFile() {
    return dir.resolve("user_data");
  }

  /** The root public key offered to the VM through metadata; absent when the factory has none. */
  public Path rootPublicKeyFile() {
    return dir.resolve("root_public_key");
  }

  /** The creation time from the directory name ({@code <created>_<type>_<name>}). */
  public long created() {
    return Long.parseLong(nameParts().group(1));
  }

  /** The machinetype from the directory name. */
  public String machinetype() {
    return nameParts().group(2);
  }

  /** The machine (slot) name from the directory name. */
  public String machineName() {
    return nameParts().group(3);
  }

  /**
   * Writes every Machine/Job Features key of reference §4.1. The {@code machinefeatures_option_*}
   * extras are written after the standard machine features, so an extra with a standard name
   * replaces it, as in Vac.
   */
  public void writeFeatures(MachineFeatures f) throws IOException {
    String processors = Integer.toString(f.processors());
    Map<String, String> machine = new LinkedHashMap<>();
    if (f.hs06() != null) {
      machine.put("hs06", pythonFloat(f.hs06()));
    }
    machine.put("total_cpu", processors);
    machine.put("phys_cores", processors);
    machine.put("log_cores", processors);
    machine.put("jobslots", "1");
    machine.put("shutdowntime", Long.toString(f.shutdownTime()));
    for (Map.Entry<String, String> extra : f.extraMachinefeatures().entrySet()) {
      checkFileName("machinefeatures_option_" + extra.getKey(), extra.getKey());
      machine.put(extra.getKey(), extra.getValue());
    }

    Map<String, String> job = new LinkedHashMap<>();
    job.put("shutdowntime_job", Long.toString(f.shutdownTime()));
    job.put("cpufactor_lrms", "1.0");
    job.put("cpu_limit_secs_lrms", Long.toString(f.cpuLimitSecs()));
    job.put("cpu_limit_secs", Long.toString(f.cpuLimitSecs()));
    job.put("wall_limit_secs_lrms", Long.toString(f.wallLimitSecs()));
    job.put("wall_limit_secs", Long.toString(f.wallLimitSecs()));
    job.put("job_id", f.jobId().toString());
    job.put("jobstart_secs", Long.toString(f.createdAt()));
    if (f.hs06() != null) {
      job.put("hs06_job", pythonFloat(f.hs06()));
    }
    job.put("max_rss_bytes", Long.toString(f.maxRssBytes()));
    // Deprecated key in decimal megabytes, truncated as Vac's integer division does.
    job.put("mem_limit_MB", Long.toString(f.maxRssBytes() / 1_000_000L));
    job.put("allocated_cpu", processors + "\n");
    job.put("allocated_CPU", processors + "\n");

    for (Map.Entry<String, String> e : machine.entrySet()) {
      writeText(machinefeatures().resolve(e.getKey()), e.getValue());
    }
    for (Map.Entry<String, String> e : job.entrySet()) {
      writeText(jobfeatures().resolve(e.getKey()), e.getValue());
    }
  }

  /**
   * Brings the machine's shutdown time forward to {@code epochSeconds}, rewriting {@code
   * machinefeatures/shutdowntime} and {@code jobfeatures/shutdowntime_job} (reference §2.4: a global
   * {@code shutdown_time} earlier than the machine's). Nothing is written when the current
   * shutdowntime is already at or before that time, so a later time never extends a machine's life;
   * a missing or unreadable shutdowntime is replaced.
   */
  public void lowerShutdownTime(long epochSeconds) throws IOException {
    OptionalLong current = shutdownTime();
    if (current.isPresent() && current.getAsLong() <= epochSeconds) {
      return;
    }
    String value = Long.toString(epochSeconds);
    writeText(machinefeatures().resolve("shutdowntime"), value);
    writeText(jobfeatures().resolve("shutdowntime_job"), value);
  }

  /** The machine's {@code machinefeatures/shutdowntime}, if present and a number. */
  public OptionalLong shutdownTime() {
    return machinefeature("shutdowntime")
        .map(String::strip)
        .filter(s -> s.matches("-?[0-9]{1,18}"))
        .map(s -> OptionalLong.of(Long.parseLong(s)))
        .orElse(OptionalLong.empty());
  }

  /** The contents of {@code machinefeatures/<key>}, if that file exists. */
  public Optional<String> machinefeature(String key) {
    checkFileName("machinefeature", key);
    return readIfPresent(machinefeatures().resolve(key));
  }

  /** The contents of {@code jobfeatures/<key>}, if that file exists. */
  public Optional<String> jobfeature(String key) {
    checkFileName("jobfeature", key);
    return readIfPresent(jobfeatures().resolve(key));
  }

  public void writeUserData(String text) throws IOException {
    writeText(userDataFile(), text);
  }

  public void writeRootPublicKey(String key) throws IOException {
    writeText(rootPublicKeyFile(), key);
  }

  /**
   * Writes a top-level state file of the machine directory (Vac's {@code started}, {@code finished},
   * {@code heartbeat}, {@code ip}, {@code accounting_fqan}, ...) with the same atomic write.
   */
  public void writeFile(String fileName, String text) throws IOException {
    checkFileName("machine directory file", fileName);
    writeText(dir.resolve(fileName), text);
  }

  /**
   * The machine's shutdown message: the first line of {@code joboutputs/shutdown_message} and the
   * file's modification time. Empty when the file does not exist; an empty file gives a message with
   * code 0 and empty text (the machine did write one). Bytes that are not UTF-8 are replaced, since
   * the machine wrote them.
   *
   * @throws UncheckedIOException if the file exists but cannot be read
   */
  public Optional<ShutdownMessage> shutdownMessage() {
    Path file = joboutputs().resolve(SHUTDOWN_MESSAGE);
    byte[] bytes;
    Instant at;
    try {
      at = Files.getLastModifiedTime(file).toInstant();
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(new IOException("cannot read " + file + ": " + e, e));
    }
    String content = new String(bytes, StandardCharsets.UTF_8);
    int newline = content.indexOf('\n');
    return Optional.of(ShutdownMessage.parse(newline < 0 ? content : content.substring(0, newline), at));
  }

  /**
   * The modification time of {@code joboutputs/<fileName>} (for {@code heartbeat_file}
   * enforcement), or empty if the machine has not written it.
   *
   * @throws UncheckedIOException if the file's attributes cannot be read for another reason
   */
  public Optional<Instant> joboutputModified(String fileName) {
    checkFileName("joboutput", fileName);
    Path file = joboutputs().resolve(fileName);
    try {
      return Optional.of(Files.getLastModifiedTime(file).toInstant());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(new IOException("cannot stat " + file + ": " + e, e));
    }
  }

  /**
   * Writes {@code joboutputs/shutdown_message} only if the machine has not written one (reference
   * §2.4, destroy). The check and the write are one step (a hard link of the finished temporary
   * file, which fails if the name exists), so a message the machine PUTs at the same moment is
   * never overwritten by this one.
   *
   * @return true if this message was written, false if one was already there
   */
  public boolean writeShutdownMessageIfAbsent(String text) throws IOException {
    Path target = joboutputs().resolve(SHUTDOWN_MESSAGE);
    Path temp = newTempFile(target);
    try {
      Files.writeString(temp, text, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(temp, FILE_MODE);
      try {
        Files.createLink(target, temp);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException e) {
        // A file system without hard links: the check and the rename are then two steps.
        if (Files.exists(target)) {
          return false;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        return true;
      }
    } catch (IOException e) {
      throw new IOException("cannot write " + target + ": " + e, e);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Writes {@code joboutputs/<fileName>} from exactly {@code length} bytes of {@code body} (a
   * machine's {@code PUT}), replacing any earlier file atomically. Fails, writing nothing, if the
   * stream ends early.
   *
   * @throws IllegalArgumentException if the name is not a plain file name
   */
  public void writeJoboutput(String fileName, InputStream body, long length) throws IOException {
    checkFileName("joboutput", fileName);
    if (length < 0) {
      throw new IllegalArgumentException("joboutput " + fileName + ": length " + length + " is negative");
    }
    Path target = joboutputs().resolve(fileName);
    atomicWrite(target, out -> {
      long copied = copy(body, out, length);
      if (copied < length) {
        throw new IOException("the request body ended after " + copied + " of " + length + " bytes");
      }
    });
  }

  @Override
  public String toString() {
    return dir.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MachineDirectory other && other.dir.equals(dir);
  }

  @Override
  public int hashCode() {
    return dir.hashCode();
  }

  /**
   * Python's {@code str()} of a float, which is what Vac writes: the shortest digits that read back
   * as the same double, never in exponent form for the magnitudes hs06 has, always with a fraction.
   */
  static String pythonFloat(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("hs06 " + value + " is not a finite number");
    }
    String plain = new BigDecimal(Double.toString(value)).toPlainString();
    return plain.contains(".") ? plain : plain + ".0";
  }

  private void writeText(Path target, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    atomicWrite(target, out -> out.write(bytes));
  }

  private interface Writer {
    void write(OutputStream out) throws IOException;
  }

  private void atomicWrite(Path target, Writer writer) throws IOException {
    Path temp = newTempFile(target);
    try {
      try (OutputStream out = Files.newOutputStream(temp)) {
        writer.write(out);
      }
      Files.setPosixFilePermissions(temp, FILE_MODE);
      // On one file system an atomic move is rename(2), which replaces the target in one step.
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw new IOException("cannot write " + target + ": " + e, e);
    }
  }

  private Path newTempFile(Path target) throws IOException {
    Path tmp = tmpDir();
    Files.createDirectories(tmp);
    String name = target.getFileName().toString();
    // Keep the temporary name well under NAME_MAX whatever the target is called.
    String prefix = (name.length() > 40 ? name.substring(0, 40) : name) + ".";
    return Files.createTempFile(tmp, prefix, ".tmp");
  }

  private Path tmpDir() {
    Path machinesRoot = dir.toAbsolutePath().getParent();
    return machinesRoot.resolveSibling("tmp");
  }

  private Matcher nameParts() {
    String name = dir.getFileName().toString();
    Matcher m = DIRECTORY_NAME.matcher(name);
    if (!m.matches()) {
      throw new IllegalStateException(dir + " is not named <created>_<machinetype>_<machine name>");
    }
    return m;
  }

  private static Optional<String> readIfPresent(Path file) {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static long copy(InputStream in, OutputStream out, long length) throws IOException {
    byte[] buffer = new byte[65536];
    long copied = 0;
    while (copied < length) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - copied));
      if (n < 0) {
        break;
      }
      out.write(buffer, 0, n);
      copied += n;
    }
    return copied;
  }

  /** Rejects names that would leave their directory or hide in it: empty, {@code .}, {@code ..}, or with {@code /}. */
  static void checkFileName(String what, String name) {
    if (name == null
        || name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.indexOf('/') >= 0
        || name.indexOf('\0') >= 0
        || name.length() > 200) {
      throw new IllegalArgumentException(what + " name '" + name + "' is not a plain file name");
    }
  }
}
