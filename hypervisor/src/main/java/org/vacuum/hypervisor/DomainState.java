package org.vacuum.hypervisor;

/** A domain's state as libvirt reports it ({@code virDomainState}), without libvirt's prefix. */
public enum DomainState {
  NOSTATE,
  RUNNING,
  BLOCKED,
  PAUSED,
  SHUTDOWN,
  SHUTOFF,
  CRASHED,
  PMSUSPENDED
}
