package org.vacuum.batch.submit;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What every pilot of one submission runs: the pilot queue ({@code <cluster>.<nodeset>.<allocation>}),
 * the command and its arguments (run from the pilot's sandbox, so relative paths name staged
 * files), environment variables added to the pilot's environment, files staged into the sandbox
 * before start (relative name → content; names may have sub-directories but no {@code ..}), and
 * the root under which sandboxes are made (for a remote submitter, a path on the remote side).
 */
public record PilotSpec(
    String queue,
    List<String> command,
    Map<String, String> environment,
    Map<String, byte[]> files,
    Path sandboxRoot) {

  private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public PilotSpec {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(sandboxRoot, "sandboxRoot");
    if (queue.isEmpty() || queue.contains("/") || queue.startsWith(".")) {
      throw new IllegalArgumentException("pilot queue name '" + queue + "' is not a plain name");
    }
    command = List.copyOf(command);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("pilot queue " + queue + ": the pilot command is empty");
    }
    environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
    for (String name : environment.keySet()) {
      if (!VARIABLE.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "pilot queue " + queue + ": '" + name + "' is not an environment variable name");
      }
    }
    files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    for (String name : files.keySet()) {
      Path p = Path.of(name);
      if (name.isEmpty() || p.isAbsolute() || p.normalize().startsWith("..")
          || List.of(name.split("/")).contains("..")) {
        throw new IllegalArgumentException(
            "pilot queue " + queue + ": staged file '" + name
                + "' must be a relative path inside the sandbox");
      }
    }
  }
}
