package org.vacuum.hypervisor;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The factory's hypervisor (DESIGN §5): starts, watches and stops the machines of one host's slots,
 * owns their disks and the NAT network they sit on. One instance per factory node, shared by its
 * entities; every call is thread-safe and blocking (run it on the blocking executor).
 *
 * <p>Contract of each call:
 *
 * <ul>
 *   <li>{@link #create} makes the machine's volumes and starts a transient domain named after the
 *       slot, carrying the slot's uuid. It either leaves a running domain plus its volumes, or
 *       nothing: a create that fails part way removes the volumes it made before throwing. It
 *       refuses (leaving everything alone) when a domain of that name exists.
 *   <li>{@link #shutdown} and {@link #destroy} stop the domain; a transient domain then vanishes.
 *       They leave the volumes: {@link #releaseDisks} removes those once the slot is finalised.
 *   <li>{@link #lookup} and {@link #list} report domains as the hypervisor has them now; they are
 *       what a restarted factory reconciles its slots against.
 *   <li>Stop listeners hear of every domain of the connection that stops, not only this factory's
 *       machines, possibly more than once per stop: they must filter and be idempotent.
 * </ul>
 */
public interface Hypervisor extends AutoCloseable {

  /** The URI of the connection, as libvirt names it. */
  String uri();

  /**
   * Makes sure Vac's NAT network {@code vac_169.254.0.0} exists, is running and starts with the
   * host (network mode {@code vac} only; a no-op for {@code user}). A network of that name with
   * another address is replaced. If it will not start and {@code fixNetworking} is set, the
   * leftovers of an earlier network (its bridge, its dnsmasq) are removed and starting is tried
   * once more.
   */
  void ensureNetwork(boolean fixNetworking) throws HypervisorException;

  /** Creates the machine's disks and starts its domain; see the class comment for what a failure leaves. */
  MachineDomain create(DomainSpec spec) throws HypervisorException;

  /** The domain of that name, if the hypervisor has one (running or not). */
  Optional<MachineDomain> lookup(String name) throws HypervisorException;

  /** Every active domain of the connection, this factory's or not. */
  List<MachineDomain> list() throws HypervisorException;

  /**
   * Asks the guest to power off (ACPI), waits up to {@code grace} for the domain to go, then
   * destroys it. A domain that cannot be shut down (e.g. paused) is destroyed at once. No domain of
   * that name: nothing to do.
   */
  void shutdown(String name, Duration grace) throws HypervisorException;

  /** Destroys the domain at once (power cut). No domain of that name: nothing to do. */
  void destroy(String name) throws HypervisorException;

  /** Removes the machine's overlay, sparse disk and LVs. Idempotent; call it only once the domain has gone. */
  void releaseDisks(String name) throws HypervisorException;

  /** Names of the machines that still hold volumes: a restarted factory releases those it does not know. */
  Set<String> machinesWithDisks() throws HypervisorException;

  /**
   * Calls {@code domainName} with the name of each domain that stops, crashes, is destroyed or
   * undefined. It runs on the hypervisor's event thread: it must return quickly and not block.
   */
  void addStopListener(Consumer<String> domainName);

  /** Closes the connection. Domains keep running; listeners hear nothing more. */
  @Override
  void close();
}
