package org.vacuum.it;

import org.vacuum.protocol.factory.FactoryProtocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.vacuum.node.VacuumNode;
import org.vacuum.protocol.factory.FactoryProtocol.DrainSet;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryRegistered;
import org.vacuum.protocol.factory.FactoryProtocol.SetDrain;
import org.vacuum.protocol.factory.FactoryStatus;

/**
 * The journal scenario both journals must pass: persist, stop the node, start it again on the same
 * journal, and find the state recovered and every event still there, in order.
 */
final class JournalRecovery {

  private JournalRecovery() {}

  static void persistStopStartRecovers(Map<String, Object> settings, String readJournalId) throws Exception {
    String factory = (String) settings.get("vacuum.factory-name");
    try (VacuumNode node = TestNodes.start(settings)) {
      FactoryStatus drained = ask(node, factory, true);
      assertTrue(drained.draining());
    }
    try (VacuumNode node = TestNodes.start(settings)) {
      FactoryStatus recovered = ask(node, factory, false);
      assertTrue(recovered.draining(), "the drain survived the restart");

      CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(node.system().classicSystem())
          .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournalId);
      List<Object> events = query.currentEventsByPersistenceId(
              FactoryProtocol.ENTITY_KEY.name() + "|" + factory, 0, Long.MAX_VALUE)
          .map(EventEnvelope::event)
          .runWith(Sink.seq(), node.system())
          .toCompletableFuture().get();
      assertEquals(3, events.size(), events.toString());
      assertTrue(events.get(0) instanceof FactoryRegistered, events.toString());
      assertEquals("maintenance", ((DrainSet) events.get(1)).reason());
      assertTrue(events.get(2) instanceof FactoryRegistered, "the restart registered again: " + events);
    }
  }

  private static FactoryStatus ask(VacuumNode node, String factory, boolean drain) throws Exception {
    var ref = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(node.system())
        .entityRefFor(FactoryProtocol.ENTITY_KEY, factory);
    return (drain
        ? ref.<FactoryStatus>askWithStatus(r -> new SetDrain("maintenance", r), Duration.ofSeconds(10))
        : ref.<FactoryStatus>askWithStatus(FactoryQuery::new, Duration.ofSeconds(10)))
        .toCompletableFuture().get();
  }
}
