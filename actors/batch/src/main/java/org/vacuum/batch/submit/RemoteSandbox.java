package org.vacuum.batch.submit;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.vacuum.batch.ssh.SshRemote;
import org.vacuum.batch.ssh.SshFailure;

/**
 * The pilot sandboxes the SSH submitters keep on a resource, and the POSIX shell they run there.
 * A sandbox is {@code <root>/<queue>/<pilot name>/}, made fresh for one pilot, holding the staged
 * files (mode 0600), the pilot's {@code stdout} and {@code stderr}, and the bookkeeping directory
 * {@value #META}: {@code launch} (the wrapper that exports the environment, runs the pilot command
 * and writes its exit status to {@code exitcode}), {@code pid} or {@code jobid}, {@code submitted}
 * (epoch milliseconds), {@code retired} (a marker written before a retirement signal) and {@code
 * ended} (a marker whose modification time says when the pilot was first seen ended).
 *
 * <p>The sandboxes are the durable record: a new submitter instance finds the pilots of an
 * earlier one by listing them, so nothing is lost when vacuum restarts. A listing deletes the
 * sandboxes of pilots that ended longer than the keep period ago (APF's {@code cleanlogs.keepdays}).
 * Remote scripts go to {@code /bin/sh -s} on standard input, so neither quoting through the login
 * shell nor the length of a command line limits them; they need GNU {@code date -r} and a
 * fractional {@code sleep}, as on any Linux host.
 */
final class RemoteSandbox {

  static final String META = ".vacuum";
  static final String SHELL = "/bin/sh -s";

  private final SshRemote ssh;
  private final SshResource resource;
  private final String root;
  private final String tag;
  private final AtomicLong serial = new AtomicLong();

  /** One sandbox as a listing saw it. */
  record Listed(String name, Instant submitted, String handle, boolean alive, Optional<Integer> exitCode,
      boolean retired, Optional<Instant> ended) {}

  RemoteSandbox(SshRemote ssh, SshResource resource, String root, Clock clock) {
    if (root == null || root.isBlank()) throw new IllegalArgumentException("pilot sandbox root on " + resource.host()
        + " is empty");
    this.ssh = ssh;
    this.resource = resource;
    this.root = root.strip().replaceAll("/+$", "");
    // Names from an earlier instance under the same root never clash with this one's.
    this.tag = Long.toString(clock.millis(), 36);
  }

  String root() {
    return root;
  }

  SshResource resource() {
    return resource;
  }

  /** The spec must name this submitter's root: status and retirement, which get no spec, look there. */
  void checkRoot(PilotSpec spec) {
    String given = spec.sandboxRoot().toString().replaceAll("/+$", "");
    if (!given.equals(root)) {
      throw new IllegalArgumentException("pilot queue " + spec.queue() + ": sandbox root '" + given
          + "' is not this submitter's root '" + root + "' on " + resource.host());
    }
    for (String name : spec.files().keySet()) {
      if (name.equals(META) || name.startsWith(META + "/") || name.equals("stdout") || name.equals("stderr")) {
        throw new IllegalArgumentException("pilot queue " + spec.queue() + ": staged file '" + name
            + "' would overwrite the submitter's own bookkeeping");
      }
    }
  }

  List<PilotId> newIds(String queue, int n) {
    List<PilotId> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(new PilotId(queue, String.format("p%s-%05d", tag, serial.incrementAndGet())));
    }
    return ids;
  }

  String queueDir(String queue) {
    return root + "/" + queue;
  }

  String dir(PilotId id) {
    return queueDir(id.queue()) + "/" + id.name();
  }

  SshRemote.Connection connect() throws SshFailure {
    return ssh.connect(resource.host(), resource.port(), resource.user(), resource.privateKey(), resource.timeout());
  }

  /**
   * Makes the sandboxes (each must not exist yet) and stages the spec's files and the wrapper into
   * them over SFTP, on one connection.
   */
  void prepare(SshRemote.Connection c, PilotSpec spec, List<PilotId> ids, boolean reapGroup) throws SshFailure {
    TreeSet<String> subdirs = new TreeSet<>();
    subdirs.add(META);
    for (String name : spec.files().keySet()) {
      int slash = name.lastIndexOf('/');
      if (slash > 0) subdirs.add(name.substring(0, slash));
    }
    StringBuilder s = new StringBuilder("set -e\numask 077\n");
    s.append("mkdir -p ").append(quote(queueDir(spec.queue()))).append('\n');
    for (PilotId id : ids) {
      s.append("mkdir ").append(quote(dir(id))).append('\n');
      for (String sub : subdirs) s.append("mkdir -p ").append(quote(dir(id) + "/" + sub)).append('\n');
    }
    check(c, s.toString(), "making the sandboxes of " + ids.size() + " pilots under " + queueDir(spec.queue()));
    for (PilotId id : ids) {
      for (Map.Entry<String, byte[]> file : spec.files().entrySet()) {
        c.upload(file.getValue(), dir(id) + "/" + file.getKey(), 0600, resource.timeout());
      }
      c.upload(launcher(spec, id, reapGroup).getBytes(StandardCharsets.UTF_8), dir(id) + "/" + META + "/launch", 0700,
          resource.timeout());
    }
  }

  /**
   * The wrapper: exports the spec's environment and {@code VACUUM_PILOT_QUEUE}/{@code VACUUM_PILOT_ID},
   * runs the command from the sandbox with stdin from {@code /dev/null}, records its exit status
   * (128 + signal number if a signal ended it). With {@code reapGroup} (a forked pilot leading its
   * own process group) it then sends SIGTERM to whatever the pilot left in its group, as a batch
   * system ends a job's processes.
   */
  static String launcher(PilotSpec spec, PilotId id, boolean reapGroup) {
    StringBuilder s = new StringBuilder("#!/bin/sh\n");
    s.append("# vacuum pilot ").append(id.name()).append(" of queue ").append(id.queue().replace('\n', ' '))
        .append(": runs the pilot command and records its exit status\n");
    for (Map.Entry<String, String> e : spec.environment().entrySet()) {
      s.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append('\n');
    }
    s.append("export VACUUM_PILOT_QUEUE=").append(quote(id.queue())).append('\n');
    s.append("export VACUUM_PILOT_ID=").append(quote(id.name())).append('\n');
    s.append(String.join(" ", spec.command().stream().map(RemoteSandbox::quote).toList())).append(" </dev/null\n");
    s.append("code=$?\n");
    s.append("echo \"$code\" > ").append(META).append("/exitcode.new && mv ").append(META).append("/exitcode.new ")
        .append(META).append("/exitcode\n");
    s.append(": > ").append(META).append("/ended\n");
    if (reapGroup) {
      s.append("trap '' TERM\n");
      s.append("kill -TERM -$$ 2>/dev/null\n");
    }
    s.append("exit \"$code\"\n");
    return s.toString();
  }

  /**
   * A script that prints one line per sandbox of {@code queue} ({@code P name submitted handle alive
   * exitcode retired ended}, {@code -} for unknown) after {@code prelude}, which defines the shell
   * function {@code alive HANDLE} and may print lines of its own. {@code handleFile} is {@code pid}
   * or {@code jobid}. Ended pilots get their {@code ended} marker; their sandboxes are deleted once
   * that is older than {@code keep}.
   */
  String listScript(String queue, String prelude, String handleFile, Duration keep) {
    return prelude + "\n"
        + "cd " + quote(queueDir(queue)) + " 2>/dev/null || exit 0\n"
        + "now=$(date +%s)\n"
        + "for d in *; do\n"
        + "  m=\"$d/" + META + "\"\n"
        + "  [ -f \"$m/submitted\" ] || continue\n"
        + "  h=$(cat \"$m/" + handleFile + "\" 2>/dev/null) || h=-\n"
        + "  [ -n \"$h\" ] || h=-\n"
        + "  if [ ! -f \"$m/exitcode\" ] && alive \"$h\"; then\n"
        + "    a=1; e=-\n"
        + "  else\n"
        + "    a=0\n"
        + "    [ -f \"$m/ended\" ] || : > \"$m/ended\"\n"
        + "    e=$(date -r \"$m/ended\" +%s 2>/dev/null) || e=-\n"
        + "    if [ \"$e\" != - ] && [ $((now - e)) -gt " + keep.toSeconds() + " ]; then rm -rf \"$d\"; continue; fi\n"
        + "  fi\n"
        + "  c=$(cat \"$m/exitcode\" 2>/dev/null) || c=-\n"
        + "  [ -n \"$c\" ] || c=-\n"
        + "  r=0; [ -f \"$m/retired\" ] && r=1\n"
        + "  echo \"P $d $(cat \"$m/submitted\") $h $a $c $r $e\"\n"
        + "done\n";
  }

  /** The {@code P} lines of a listing, by pilot name; other lines are left to the caller. */
  static Map<String, Listed> parseListing(String stdout) {
    Map<String, Listed> pilots = new LinkedHashMap<>();
    for (String line : stdout.split("\n")) {
      String[] f = line.strip().split(" ");
      if (f.length != 8 || !f[0].equals("P")) continue;
      try {
        pilots.put(f[1], new Listed(f[1], Instant.ofEpochMilli(Long.parseLong(f[2])), f[3], f[4].equals("1"),
            f[5].equals("-") ? Optional.empty() : Optional.of(Integer.parseInt(f[5])), f[6].equals("1"),
            f[7].equals("-") ? Optional.empty() : Optional.of(Instant.ofEpochSecond(Long.parseLong(f[7])))));
      } catch (NumberFormatException e) {
        // A sandbox being written at this moment: the next listing sees it whole.
      }
    }
    return pilots;
  }

  /** Why a pilot ended, from its sandbox: {@code retired}, {@code exited N}, {@code killed by signal N}, or {@code orElse}. */
  static String endReason(Listed p, String orElse) {
    if (p.retired()) return "retired";
    if (p.exitCode().isEmpty()) return orElse;
    int code = p.exitCode().get();
    return code > 128 ? "killed by signal " + (code - 128) : "exited " + code;
  }

  /** A DONE pilot ended longer than {@code retention} ago is no longer reported. */
  static boolean expired(Listed p, Duration retention, Instant now) {
    return p.ended().isPresent() && p.ended().get().plus(retention).isBefore(now);
  }

  /** Runs {@code script} with {@code /bin/sh -s}; a non-zero exit is a failure naming {@code what} and stderr. */
  SshRemote.Output check(SshRemote.Connection c, String script, String what) throws SshFailure {
    return check(c, script, what, resource.timeout());
  }

  SshRemote.Output check(SshRemote.Connection c, String script, String what, Duration timeout) throws SshFailure {
    SshRemote.Output out = c.run(SHELL, script.getBytes(StandardCharsets.UTF_8), timeout);
    if (out.exitCode() != 0) {
      throw new RemoteFailure(resource.target() + ": " + what + " failed (exit " + out.exitCode() + "): "
          + oneLine(out.stderr().isBlank() ? out.stdout() : out.stderr()));
    }
    return out;
  }

  static String oneLine(String s) {
    String line = s.replaceAll("\\s+", " ").strip();
    return line.isEmpty() ? "no output" : line;
  }

  /** A POSIX shell single-quoted word. */
  static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
