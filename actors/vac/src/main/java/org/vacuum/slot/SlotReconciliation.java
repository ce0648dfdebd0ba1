package org.vacuum.slot;

import org.vacuum.protocol.slot.SlotProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.host.FactoryHost;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.hypervisor.MachineDomain;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol.Reconcile;

/**
 * Restart = reconcile (DESIGN §4): at start, every slot of this factory compares its journal with
 * the hypervisor ({@code Reconcile}, see {@link Slot}), and domains named like this factory's
 * machines beyond its slot count are reaped, since no slot can own them. Runs before the node
 * reports ready and before the factory creates anything. Nothing that a slot owns and that still
 * runs is touched.
 */
public final class SlotReconciliation {

  private static final Logger log = LoggerFactory.getLogger(SlotReconciliation.class);

  /** What reconciling found: the slots as they now stand, and the stray domains reaped. */
  public record Outcome(List<MachineStatus> slots, List<String> reaped) {}

  private SlotReconciliation() {}

  public static Outcome run(ActorSystem<?> system, FactoryHost host, Duration timeout)
      throws HypervisorException, ExecutionException, TimeoutException, InterruptedException {
    String factory = host.settings().factoryName();
    int slots = host.settings().slots();
    List<String> reaped = new ArrayList<>();
    for (MachineDomain domain : host.hypervisor().list()) {
      if (SlotNames.isMachineOf(factory, domain.name()) && SlotNames.ordinalOf(domain.name()) >= slots) {
        log.warn("reaping domain {} (uuid {}): beyond this factory's {} slots", domain.name(), domain.uuid(), slots);
        host.hypervisor().destroy(domain.name());
        host.hypervisor().releaseDisks(domain.name());
        reaped.add(domain.name());
      }
    }
    ClusterSharding sharding = ClusterSharding.get(system);
    List<CompletableFuture<MachineStatus>> asks = new ArrayList<>();
    for (int ordinal = 0; ordinal < slots; ordinal++) {
      asks.add(sharding.entityRefFor(SlotProtocol.ENTITY_KEY, SlotNames.machineName(factory, ordinal))
          .<MachineStatus>askWithStatus(Reconcile::new, timeout)
          .toCompletableFuture());
    }
    CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    List<MachineStatus> statuses = asks.stream().map(CompletableFuture::join).toList();
    long adopted = statuses.stream().filter(MachineStatus::occupied).count();
    log.info("reconciled {} slots with {}: {} machines running, {} stray domains reaped", slots,
        host.hypervisor().uri(), adopted, reaped.size());
    return new Outcome(statuses, List.copyOf(reaped));
  }
}
