package org.vacuum.it.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * Kit for tests that boot a real VM with QEMU (TCG) through libvirt: whether that can work on this
 * host, the libvirt URI to use, and the tiny guest image built by {@code src-test/vm/build-tiny-vm.sh}
 * (a Debian kernel and a busybox initramfs that GETs {@code MJF/jobfeatures/wall_limit_secs}, PUTs
 * {@code 200 Success} to {@code MJF/joboutputs/shutdown_message}, and powers off).
 *
 * <p>{@code src-test/vm/host-setup.sh} (run by {@code .ci/run}, or by hand as root) installs and
 * starts what is needed. Environment: {@code VACUUM_LIBVIRT_URI} overrides the URI, and a
 * non-empty {@code VACUUM_VM_SKIP} is a reason to skip ({@code .ci/run} sets one or the other from
 * host-setup's answer).
 */
public final class TinyVm {

  /** The host's address as the guest sees it with {@code <interface type='user'>}. */
  public static final String HOST_FROM_GUEST = "10.0.2.2";

  /** Cold builds download a 70 MB kernel package. */
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);

  private static final List<String> TOOLS = List.of("bash", "qemu-img", "qemu-system-x86_64", "apt-get",
      "dpkg-deb", "cpio", "gzip", "flock", "mkfs.vfat", "syslinux", "mcopy");

  private static volatile Optional<String> skipReason;

  private TinyVm() {}

  /**
   * Why a real VM cannot run here (a one-line reason), or empty if it can: the host-setup verdict,
   * the build tools, and a connection to {@link #libvirtUri()} whose capabilities offer QEMU
   * (TCG) x86_64 guests. Computed once per JVM.
   */
  public static Optional<String> skipReason() {
    Optional<String> r = skipReason;
    if (r == null) {
      r = Optional.ofNullable(findSkipReason());
      skipReason = r;
    }
    return r;
  }

  /** {@code VACUUM_LIBVIRT_URI}, else {@code qemu:///system} for root and {@code qemu:///session} for others. */
  public static String libvirtUri() {
    String env = System.getenv("VACUUM_LIBVIRT_URI");
    if (env != null && !env.isBlank()) return env.strip();
    return isRoot() ? "qemu:///system" : "qemu:///session";
  }

  /**
   * Builds {@code outDir/tiny-vm.img}, a raw bootable disk whose guest talks to {@code mjfBaseUrl}
   * (as the guest sees it, e.g. {@code http://10.0.2.2:PORT}). Fails with the script's output.
   */
  public static Path buildImage(Path outDir, String mjfBaseUrl) throws IOException, InterruptedException {
    Files.createDirectories(outDir);
    String out = run(List.of("bash", script("build-tiny-vm.sh").toString(), outDir.toString(), mjfBaseUrl),
        BUILD_TIMEOUT);
    System.out.print(out);
    Path image = outDir.resolve("tiny-vm.img");
    if (!Files.isRegularFile(image)) throw new IllegalStateException("build-tiny-vm.sh made no " + image + ":\n" + out);
    return image;
  }

  /** Creates {@code overlay}, a qcow2 overlay whose backing file is the raw {@code base}. */
  public static void createOverlay(Path base, Path overlay) throws IOException, InterruptedException {
    run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base.toAbsolutePath().toString(),
        overlay.toAbsolutePath().toString()), Duration.ofMinutes(1));
  }

  /** The last {@code lines} lines of a console log, for assertion messages. */
  public static String consoleTail(Path console, int lines) {
    try {
      if (!Files.exists(console)) return "(no console log at " + console + ")";
      List<String> all = Files.readAllLines(console, java.nio.charset.StandardCharsets.ISO_8859_1);
      List<String> tail = all.subList(Math.max(0, all.size() - lines), all.size());
      return "console " + console + " (last " + tail.size() + " lines):\n" + String.join("\n", tail);
    } catch (IOException e) {
      return "(cannot read " + console + ": " + e + ")";
    }
  }

  /** A file of {@code src-test/vm/}, found from the working directory upwards. */
  public static Path script(String name) {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("src-test").resolve("vm").resolve(name);
      if (Files.isRegularFile(p)) return p;
    }
    throw new IllegalStateException("src-test/vm/" + name + " not found above " + Path.of("").toAbsolutePath());
  }

  private static String findSkipReason() {
    String verdict = System.getenv("VACUUM_VM_SKIP");
    if (verdict != null && !verdict.isBlank()) return "host-setup: " + verdict.strip();
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return "not Linux";
    try {
      script("build-tiny-vm.sh");
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
    for (String tool : TOOLS) {
      if (which(tool) == null) return "'" + tool + "' is missing (run src-test/vm/host-setup.sh as root)";
    }
    String uri = libvirtUri();
    try {
      Connect conn = new Connect(uri);
      try {
        String caps = conn.getCapabilities();
        if (!caps.contains("<arch name='x86_64'>") || !caps.contains("<domain type='qemu'")) {
          return "libvirt at " + uri + " offers no QEMU x86_64 guests";
        }
      } finally {
        conn.close();
      }
    } catch (LibvirtException e) {
      return "libvirt at " + uri + ": " + oneLine(e.getMessage()) + " (run src-test/vm/host-setup.sh as root)";
    } catch (LinkageError e) {
      return "libvirt's C library cannot be loaded (Debian: libvirt0): " + oneLine(String.valueOf(e.getMessage()));
    }
    return null;
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static Path which(String tool) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin"));
    for (String d : dirs) {
      if (d.isEmpty()) continue;
      Path p = Path.of(d, tool);
      if (Files.isExecutable(p)) return p;
    }
    return null;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").strip();
  }

  /** Runs a command (with /usr/sbin and /sbin on PATH); returns its output, or fails with it. */
  private static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
    Path log = Files.createTempFile("tiny-vm", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().merge("PATH", "/usr/sbin:/sbin", (a, b) -> a + ":" + b);
      Process p = pb.start();
      boolean done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
      if (!done) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      String out = Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
      if (!done) throw new IllegalStateException(String.join(" ", command) + " timed out after " + timeout + ":\n" + out);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n" + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
