package org.vacuum.journal;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.TimeBasedUUID;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.vacuum.config.VacuumSettings;

/**
 * Pekko persistence query on the node's journal (DESIGN §6: one code path, two journals): the read
 * journal of pekko-persistence-jdbc on H2, of pekko-persistence-cassandra on Cassandra.
 */
public final class Journals {

  /** What the read side needs of a read journal; both plugins implement all of it. */
  public interface Query extends CurrentEventsByTagQuery, CurrentEventsByPersistenceIdQuery {}

  private Journals() {}

  /** The read journal's plugin id, as {@code EventSourcedProvider.eventsByTag} wants it. */
  public static String readJournalPluginId(VacuumSettings settings) {
    return switch (settings.journal()) {
      case H2 -> JdbcReadJournal.Identifier();
      case CASSANDRA -> CassandraReadJournal.Identifier();
    };
  }

  /** The node's read journal. */
  public static Query query(ActorSystem<?> system, VacuumSettings settings) {
    PersistenceQuery query = PersistenceQuery.get(system.classicSystem());
    return switch (settings.journal()) {
      case H2 -> adapt(query.getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier()));
      case CASSANDRA -> adapt(query.getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier()));
    };
  }

  private static <J extends CurrentEventsByTagQuery & CurrentEventsByPersistenceIdQuery> Query adapt(J journal) {
    return new Query() {
      @Override
      public org.apache.pekko.stream.javadsl.Source<org.apache.pekko.persistence.query.EventEnvelope,
          org.apache.pekko.NotUsed> currentEventsByTag(String tag, Offset offset) {
        return journal.currentEventsByTag(tag, offset);
      }

      @Override
      public org.apache.pekko.stream.javadsl.Source<org.apache.pekko.persistence.query.EventEnvelope,
          org.apache.pekko.NotUsed> currentEventsByPersistenceId(String persistenceId, long from, long to) {
        return journal.currentEventsByPersistenceId(persistenceId, from, to);
      }
    };
  }

  /** A journal offset as text: H2's global ordering number, Cassandra's time-based UUID. */
  public static String offsetText(Offset offset) {
    if (offset instanceof Sequence s) return Long.toString(s.value());
    if (offset instanceof TimeBasedUUID t) return t.value().toString();
    return offset.toString();
  }
}
