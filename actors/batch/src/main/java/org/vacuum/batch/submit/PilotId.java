package org.vacuum.batch.submit;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Names one pilot of one pilot queue, as the submitter that started it knows it (a local
 * sandbox name, a Slurm job id, a Vac machine name). {@code name} is safe as a file name: it is
 * also the name of the pilot's sandbox directory where it has one.
 */
public record PilotId(String queue, String name) implements Comparable<PilotId> {

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@#+-]*");

  public PilotId {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(name, "name");
    if (!SAFE.matcher(name).matches() || name.contains("..")) {
      throw new IllegalArgumentException(
          "pilot name '" + name + "' of queue '" + queue + "' is not a plain file name");
    }
  }

  @Override
  public int compareTo(PilotId other) {
    int byQueue = queue.compareTo(other.queue);
    return byQueue != 0 ? byQueue : name.compareTo(other.name);
  }

  @Override
  public String toString() {
    return queue + "/" + name;
  }
}
