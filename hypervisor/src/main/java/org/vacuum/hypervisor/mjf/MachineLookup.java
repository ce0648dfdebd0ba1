package org.vacuum.hypervisor.mjf;

import java.util.Optional;

/**
 * Finds the machine that occupies a slot, for the MJF server, which identifies a requesting
 * machine by its source address only (the last octet is the slot ordinal, reference/vac.md §4.2).
 * Called on the server's threads, possibly concurrently: implementations must be thread-safe and
 * quick (no blocking on actors).
 */
@FunctionalInterface
public interface MachineLookup {

  /** The machine now in slot {@code ordinal} (0-99), or empty if the slot has none. */
  Optional<MachineView> byOrdinal(int ordinal);
}
