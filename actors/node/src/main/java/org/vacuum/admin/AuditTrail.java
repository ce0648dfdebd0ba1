package org.vacuum.admin;

import org.vacuum.journal.JournalTags;
import org.vacuum.journal.Journals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.apache.pekko.stream.javadsl.Source;
import org.vacuum.accounting.audit.AuditFilter;
import org.vacuum.accounting.audit.AuditLine;
import org.vacuum.config.VacuumSettings;

/**
 * The audit trail (DESIGN §1, §6): every event every entity persisted, in journal order, read with
 * Pekko persistence query ({@code currentEventsByTag} of {@link JournalTags#AUDIT} from the start)
 * and streamed: nothing is held but the event in flight. The stream ends at the journal's present.
 *
 * <p>On Cassandra the tag view lags the journal by {@code
 * pekko.persistence.cassandra.events-by-tag.eventual-consistency-delay}: the newest events appear
 * after that delay.
 */
public final class AuditTrail {

  private AuditTrail() {}

  /** The events {@code filter} wants, as audit lines with their fields rendered by the project's Jackson mapper. */
  public static Source<AuditLine, NotUsed> lines(ActorSystem<?> system, VacuumSettings settings, AuditFilter filter) {
    ObjectMapper mapper = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
    return Journals.query(system, settings).currentEventsByTag(JournalTags.AUDIT, Offset.noOffset())
        .filter(e -> filter.matches(e.persistenceId(), Instant.ofEpochMilli(e.timestamp())))
        .map(e -> line(mapper, e));
  }

  private static AuditLine line(ObjectMapper mapper, EventEnvelope e) {
    Object event = e.event();
    return new AuditLine(Journals.offsetText(e.offset()), Instant.ofEpochMilli(e.timestamp()),
        AuditLine.entityOf(e.persistenceId()), event.getClass().getSimpleName(), mapper.valueToTree(event));
  }
}
