package org.vacuum.infoservice;

import java.util.HashSet;
import java.util.Set;

/**
 * The rule every VC3 lifecycle follows for its objects: at most one evaluation of an object runs at
 * a time, and one asked for while it runs is not lost but runs once, right after. Used from one
 * actor only (not thread-safe).
 */
public final class Evaluations {

  private final Set<String> running = new HashSet<>();
  private final Set<String> again = new HashSet<>();

  /** True if an evaluation of {@code name} may start now; otherwise it is remembered for later. */
  public boolean start(String name) {
    if (running.add(name)) {
      return true;
    }
    again.add(name);
    return false;
  }

  /** Records that the evaluation of {@code name} ended; true if another was asked for meanwhile. */
  public boolean finished(String name) {
    running.remove(name);
    return again.remove(name);
  }
}
