package org.vacuum.hypervisor;

import java.util.UUID;

/**
 * What the hypervisor says about one machine's domain at one moment: its name (the slot FQDN), the
 * uuid it was created with (the slot's job id), its state and the CPU time its vCPUs have used.
 */
public record MachineDomain(String name, UUID uuid, DomainState state, long cpuTimeNanos) {

  /** Vac's test for a live machine (reference/vac.md §2.4): anything else counts as paused. */
  public boolean running() {
    return state == DomainState.RUNNING || state == DomainState.BLOCKED;
  }
}
