package org.vacuum.batch.submit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Builds the {@link PilotSpec} of a pilot queue from its Environments and its payload: vacuum's
 * stand-in for vc3-builder (reference/vc3.md §5, §2.6). Nothing is installed: the pilot only
 * checks that what the Environments require is there and fails at once, with a message naming
 * what is missing on which host in its stderr and exit status 127, if it is not.
 *
 * <p>The spec's command is {@code /bin/sh vacuum-pilot.sh}, a script staged into the sandbox that
 * runs, in order: one check per required package ({@code packagelist}: present if a command of
 * that name is on PATH or a Debian package of that name is installed; VC3's builder name {@code
 * cctools} means the command {@code work_queue_worker}); the {@code required_os} check against
 * {@code /etc/os-release}; then {@code exec} of the payload. Environment attributes, applied in
 * list order (VC3: the request's environments, then the nodeset's):
 *
 * <ul>
 *   <li>{@code envmap} → environment variables (a later Environment wins), plus VC3's {@code
 *       VC3_REQUESTID} (the cluster) and {@code VC3_QUEUE};
 *   <li>{@code files} → staged into the sandbox (the same name twice is an error);
 *   <li>{@code packagelist} → required packages, checked as above;
 *   <li>{@code required_os} → {@code id[:min[:max]]}, e.g. {@code debian:12}: {@code ID} must
 *       equal {@code id} and {@code VERSION_ID} lie in the range (a leading {@code v} is
 *       ignored, versions compare as {@code sort -V} does). The last one set wins. Switching to a
 *       container of the wanted OS, as the builder can, is not supported;
 *   <li>{@code builder_extra_args} → appended to the payload's arguments (there is no builder
 *       to pass them to); for Work Queue, before the manager's address;
 *   <li>{@code command} → the payload of a {@link Generic} pilot (a shell command line; the
 *       last Environment that sets one wins).
 * </ul>
 */
public final class PilotBootstrap {

  public static final String SCRIPT = "vacuum-pilot.sh";
  public static final String WORK_QUEUE_PASSWORD_FILE = "workqueue.secret";
  /** Work Queue worker idle timeout when the nodeset sets no {@code app_lingertime} (VC3's). */
  public static final int DEFAULT_WORKER_TIMEOUT = 7200;

  private static final Map<String, String> PACKAGE_COMMANDS = Map.of("cctools", "work_queue_worker");
  private static final Pattern OS = Pattern.compile("[A-Za-z0-9._-]+(:v?[0-9][0-9.]*){0,2}");

  private PilotBootstrap() {}

  /** The attributes of a VC3 Environment a pilot uses (reference/vc3.md §1.5). */
  public record Environment(
      String name,
      Map<String, String> envmap,
      Map<String, byte[]> files,
      List<String> packagelist,
      Optional<String> requiredOs,
      List<String> builderExtraArgs,
      Optional<String> command) {

    public Environment {
      Objects.requireNonNull(name, "name");
      envmap = Map.copyOf(envmap);
      files = Map.copyOf(files);
      packagelist = List.copyOf(packagelist);
      Objects.requireNonNull(requiredOs, "requiredOs");
      builderExtraArgs = List.copyOf(builderExtraArgs);
      Objects.requireNonNull(command, "command");
      if (requiredOs.isPresent() && !OS.matcher(requiredOs.get()).matches()) {
        throw new IllegalArgumentException("environment " + name + ": required_os '"
            + requiredOs.get() + "' is not of the form id[:min[:max]], e.g. debian:12");
      }
    }

    /** An Environment with only variables. */
    public static Environment ofEnvmap(String name, Map<String, String> envmap) {
      return new Environment(name, envmap, Map.of(), List.of(), Optional.empty(), List.of(),
          Optional.empty());
    }
  }

  /** What the pilot runs once the checks pass: the nodeset's {@code app_type}. */
  public sealed interface Payload permits WorkQueueWorker, Generic {}

  /**
   * App type {@code workqueue}: a {@code work_queue_worker} of {@code cores} cores, {@code
   * memoryMb} MB (VC3: memory_mb × cores) and {@code diskMb} MB that authenticates with {@code
   * password}, staged as {@value #WORK_QUEUE_PASSWORD_FILE}. It finds its manager by project name
   * through {@code catalog} ({@code host:port}) when one is given, as VC3 did ({@code -M}),
   * otherwise at {@code host}:{@code port}. It leaves after {@code lingertime} seconds without
   * work (default {@value #DEFAULT_WORKER_TIMEOUT}).
   */
  public record WorkQueueWorker(
      String host,
      int port,
      String project,
      Optional<String> catalog,
      byte[] password,
      int cores,
      int memoryMb,
      int diskMb,
      OptionalInt lingertime)
      implements Payload {

    public WorkQueueWorker {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(project, "project");
      Objects.requireNonNull(catalog, "catalog");
      Objects.requireNonNull(password, "password");
      Objects.requireNonNull(lingertime, "lingertime");
      if (cores < 1 || memoryMb < 1 || diskMb < 1) {
        throw new IllegalArgumentException("work queue worker for " + project + ": cores "
            + cores + ", memory " + memoryMb + " MB and disk " + diskMb + " MB must be positive");
      }
    }
  }

  /** App type {@code generic}: the Environments' {@code command}, run by {@code /bin/sh -c}. */
  public record Generic() implements Payload {}

  /**
   * The spec of the pilots of {@code queue} ({@code <cluster>.<nodeset>.<allocation>}).
   *
   * @throws IllegalArgumentException if two Environments stage the same file, a file is named
   *     like the script or the password, or a generic pilot has no command
   */
  public static PilotSpec build(
      String queue, Path sandboxRoot, List<Environment> environments, Payload payload) {
    Map<String, String> variables = new LinkedHashMap<>();
    Map<String, byte[]> files = new LinkedHashMap<>();
    Set<String> packages = new LinkedHashSet<>();
    Optional<String> requiredOs = Optional.empty();
    List<String> extraArgs = new ArrayList<>();
    Optional<String> command = Optional.empty();
    String cluster = queue.contains(".") ? queue.substring(0, queue.indexOf('.')) : queue;
    variables.put("VC3_REQUESTID", cluster);
    variables.put("VC3_QUEUE", queue);
    for (Environment env : environments) {
      new TreeMap<>(env.envmap()).forEach(variables::put);
      for (Map.Entry<String, byte[]> file : env.files().entrySet()) {
        if (files.putIfAbsent(file.getKey(), file.getValue()) != null) {
          throw new IllegalArgumentException("pilot queue " + queue + ": environment "
              + env.name() + " stages '" + file.getKey() + "', which an earlier environment"
              + " already stages");
        }
      }
      packages.addAll(env.packagelist());
      if (env.requiredOs().isPresent()) {
        requiredOs = env.requiredOs();
      }
      extraArgs.addAll(env.builderExtraArgs());
      if (env.command().isPresent()) {
        command = env.command();
      }
    }
    String exec;
    if (payload instanceof WorkQueueWorker wq) {
      packages.add("work_queue_worker");
      stage(queue, files, WORK_QUEUE_PASSWORD_FILE, wq.password());
      exec = "exec " + join(workQueueWorkerCommand(wq, extraArgs));
    } else {
      String line = command.orElseThrow(() -> new IllegalArgumentException("pilot queue "
          + queue + ": app_type generic needs a command in one of its environments "
          + environments.stream().map(Environment::name).toList()));
      String args = extraArgs.isEmpty() ? "" : " " + join(extraArgs);
      exec = "exec /bin/sh -c " + quote(line + args);
    }
    String names = String.join(", ", environments.stream().map(Environment::name).toList());
    String script = script(queue, names, packages, requiredOs, exec);
    stage(queue, files, SCRIPT, script.getBytes(StandardCharsets.UTF_8));
    return new PilotSpec(queue, List.of("/bin/sh", SCRIPT), variables, files, sandboxRoot);
  }

  private static void stage(String queue, Map<String, byte[]> files, String name, byte[] content) {
    if (files.putIfAbsent(name, content) != null) {
      throw new IllegalArgumentException("pilot queue " + queue + ": an environment stages '"
          + name + "', a name the pilot itself needs");
    }
  }

  /**
   * The worker's argv (reference/vc3.md §2.6), with {@code extraArgs} before the manager's
   * address. Relative paths are relative to the pilot's sandbox.
   */
  public static List<String> workQueueWorkerCommand(WorkQueueWorker wq, List<String> extraArgs) {
    List<String> argv = new ArrayList<>(List.of(
        "work_queue_worker",
        "--cores", Integer.toString(wq.cores()),
        "--memory", Integer.toString(wq.memoryMb()),
        "--disk", Integer.toString(wq.diskMb()),
        "--password", WORK_QUEUE_PASSWORD_FILE,
        "--timeout", Integer.toString(wq.lingertime().orElse(DEFAULT_WORKER_TIMEOUT)),
        // Task sandboxes under the pilot's own sandbox, not in the host's /tmp.
        "--workdir", "."));
    argv.addAll(extraArgs);
    if (wq.catalog().isPresent()) {
      argv.addAll(List.of("-M", wq.project(), "--catalog", wq.catalog().get()));
    } else {
      argv.addAll(List.of(wq.host(), Integer.toString(wq.port())));
    }
    return argv;
  }

  private static String script(String queue, String environments, Set<String> packages,
      Optional<String> requiredOs, String exec) {
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/sh\n");
    s.append("# vacuum pilot of queue ").append(queue.replace('\n', ' '))
        .append(", environments: ").append(environments.replace('\n', ' ')).append('\n');
    s.append("fail() {\n");
    s.append("  echo \"vacuum pilot ${VACUUM_PILOT_ID:-} of queue \"").append(quote(queue))
        .append("\" on $(hostname): $*\" >&2\n");
    s.append("  exit 127\n");
    s.append("}\n");
    s.append("present() {\n");
    s.append("  command -v \"$1\" >/dev/null 2>&1 && return 0\n");
    s.append("  dpkg-query -W -f='${Status}' \"$1\" 2>/dev/null | grep -q ' installed$'\n");
    s.append("}\n");
    for (String pkg : packages) {
      String probe = PACKAGE_COMMANDS.getOrDefault(pkg, pkg);
      s.append("present ").append(quote(probe)).append(" || fail \"required package \"")
          .append(quote(pkg)).append("\" is missing: no command \"").append(quote(probe))
          .append("\" on PATH=$PATH and no Debian package of that name\"\n");
    }
    if (requiredOs.isPresent()) {
      String[] parts = requiredOs.get().split(":");
      String min = parts.length > 1 ? parts[1].replaceFirst("^v", "") : "";
      String max = parts.length > 2 ? parts[2].replaceFirst("^v", "") : "";
      s.append("os=$( . /etc/os-release 2>/dev/null; echo \"${ID:-unknown}:${VERSION_ID:-}\" )\n");
      s.append("version=${os#*:}\n");
      s.append("lowest() { printf '%s\\n%s\\n' \"$1\" \"$2\" | sort -V | head -n 1; }\n");
      StringBuilder ok = new StringBuilder("[ \"${os%%:*}\" = ").append(quote(parts[0])).append(" ]");
      if (!min.isEmpty()) {
        ok.append(" && [ \"$(lowest ").append(quote(min)).append(" \"$version\")\" = ")
            .append(quote(min)).append(" ]");
      }
      if (!max.isEmpty()) {
        ok.append(" && { [ \"$(lowest \"$version\" ").append(quote(max))
            .append(")\" = \"$version\" ] || [ \"${version#")
            .append(max).append(".}\" != \"$version\" ]; }");
      }
      s.append(ok).append(" || fail \"required OS \"").append(quote(requiredOs.get()))
          .append("\" but this host is $os (ID:VERSION_ID of /etc/os-release)\"\n");
    }
    s.append(exec).append('\n');
    return s.toString();
  }

  private static String join(List<String> argv) {
    return String.join(" ", argv.stream().map(PilotBootstrap::quote).toList());
  }

  /** A POSIX shell single-quoted word. */
  public static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
