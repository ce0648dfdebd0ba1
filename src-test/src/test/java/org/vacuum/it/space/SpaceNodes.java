package org.vacuum.it.space;

import org.vacuum.protocol.slot.SlotProtocol;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol.MachineCreated;
import org.vacuum.protocol.slot.SlotProtocol.MachineFinished;
import org.vacuum.slot.Slot;
import org.vacuum.space.Census;

/**
 * A space of three factory nodes in one JVM, each on its own {@code test:///default} connection
 * and H2 journal, all with the same vac.conf (written before they start), so that the factories
 * create machines by themselves. Names are {@code PREFIX1..3.example.com}: {@code test:///default}
 * keeps domains for the JVM's life, so each test uses its own prefix.
 */
final class SpaceNodes implements AutoCloseable {

  /** One machine of the space as its slot's journal tells it; {@code finishedAt} null while it runs. */
  record Machine(String factory, String machine, String uuid, String machinetype, int processors, Instant createdAt,
      Instant startedAt, Instant finishedAt) {}

  final List<VacuumNode> nodes = new ArrayList<>();
  final String prefix;
  final int slots;

  private SpaceNodes(String prefix, int slots) {
    this.prefix = prefix;
    this.slots = slots;
  }

  /**
   * Starts three factories of {@code slots} slots and processors each, with {@code [settings]}
   * lines and machinetype sections ({@code ROOT_IMAGE} stands for a small image file).
   */
  static SpaceNodes start(Path dir, String prefix, int slots, String settings, String machinetypes) throws Exception {
    SpaceNodes space = new SpaceNodes(prefix, slots);
    try {
      int seedPort = TestNodes.freePort();
      List<String> seeds = List.of("127.0.0.1:" + seedPort);
      for (int i = 1; i <= 3; i++) {
        Path state = dir.resolve(prefix + i);
        TestNodes.writeVacConf(state, "[settings]\nvac_space = " + TestNodes.SPACE + "\nmb_per_processor = 64\n"
            // This machine is shared and busy: the load checks would stop every creation.
            + "overload_per_processor = 1000\n"
            // A decision uses the factories that answer within udp_timeout_seconds / 5; on a busy
            // test machine three JVM-local nodes can miss Vac's default 2 s, and a factory that does
            // not answer hides its aborts (as in Vac). 30 s gives a 6-s round.
            + "udp_timeout_seconds = 30\n" + settings + "\n" + machinetypes);
        space.nodes.add(TestNodes.start(TestNodes.factorySettings(prefix + i, state,
            i == 1 ? seedPort : TestNodes.freePort(), seeds, slots)));
      }
    } catch (Exception | Error e) {
      space.close();
      throw e;
    }
    return space;
  }

  String factory(int i) {
    return prefix + i + ".example.com";
  }

  VacuumNode node(int i) {
    return nodes.get(i - 1);
  }

  /** Every slot of the space now, through the machines census. */
  List<MachineStatus> census() throws Exception {
    VacuumNode any = nodes.get(0);
    return Census.machines(any.system(), any.settings(), Duration.ofSeconds(5), List.of()).toCompletableFuture().get()
        .machines();
  }

  /** Every machine ever created in the space, from the slots' journals (each node's own). */
  List<Machine> machines() throws Exception {
    List<Machine> all = new ArrayList<>();
    for (VacuumNode node : nodes) {
      CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(node.system().classicSystem())
          .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, "jdbc-read-journal");
      String factory = node.settings().factoryName();
      for (int ordinal = 0; ordinal < slots; ordinal++) {
        String machine = SlotNames.machineName(factory, ordinal);
        List<Object> events = query.currentEventsByPersistenceId(SlotProtocol.ENTITY_KEY.name() + "|" + machine, 0,
                Long.MAX_VALUE)
            .map(EventEnvelope::event)
            .runWith(Sink.seq(), node.system())
            .toCompletableFuture().get();
        Map<String, MachineCreated> created = new HashMap<>();
        Map<String, MachineFinished> finished = new HashMap<>();
        for (Object e : events) {
          if (e instanceof MachineCreated c) created.put(c.uuid(), c);
          if (e instanceof MachineFinished f) finished.put(f.uuid(), f);
        }
        for (MachineCreated c : created.values()) {
          MachineFinished f = finished.get(c.uuid());
          all.add(new Machine(factory, machine, c.uuid(), c.machinetype(), c.processors(), c.createdAt(),
              f == null ? null : f.startedAt(), f == null ? null : f.at()));
        }
      }
    }
    all.sort(java.util.Comparator.comparing(Machine::createdAt));
    return all;
  }

  @Override
  public void close() {
    // One after another (DESIGN §9); then the domains they left on the shared fake hypervisor.
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
    for (int i = 1; i <= 3; i++) {
      for (int ordinal = 0; ordinal < slots; ordinal++) {
        TestNodes.destroyDomainIfPresent(SlotNames.machineName(factory(i), ordinal));
      }
    }
  }
}
