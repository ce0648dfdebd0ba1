package org.vacuum.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.vacuum.infoservice.InfoAttribute;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.journal.JournalTags;
import org.vacuum.journal.Journals;
import org.vacuum.protocol.info.InfoProtocol;

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
        AuditLine.entityOf(e.persistenceId()), event.getClass().getSimpleName(), masked(event, mapper.valueToTree(event)));
  }

  /**
   * The fields of {@code event} with every secret attribute of its kind masked, encrypted (as
   * persisted today) or not (as journals written before encryption hold them): the audit trail
   * never shows a secret.
   */
  static JsonNode masked(Object event, JsonNode fields) {
    String kind;
    String field;
    if (event instanceof InfoProtocol.Created created) {
      kind = created.kind();
      field = "attributes";
    } else if (event instanceof InfoProtocol.Updated updated) {
      kind = updated.kind();
      field = "changed";
    } else {
      return fields;
    }
    JsonNode values = fields.get(field);
    InfoKind info = InfoKind.byKey(kind).orElse(null);
    if (info == null || !(values instanceof ObjectNode object)) {
      return fields;
    }
    info.attributes().values().stream().filter(InfoAttribute::secret).map(InfoAttribute::name)
        .filter(name -> object.has(name) && !"null".equals(object.get(name).asText()))
        .forEach(name -> object.put(name, "\"" + InfoKind.MASK + "\""));
    return fields;
  }
}
