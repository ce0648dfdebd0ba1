package org.vacuum.accounting.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Map;

/**
 * One persisted event of the audit trail: where it is in the journal ({@code offset}), when it was
 * written, which entity wrote it ({@code Slot:f1-00.example.com}), the event's type and its fields.
 *
 * <p>The wire form is one JSON object per line (NDJSON), in this key order:
 * {@code {"offset":"..","time":"2026-11-21T21:00:00Z","entity":"Slot:f1-00.example.com",
 * "event":"MachineCreated","fields":{...}}}. The offset is the journal's own: the global ordering
 * number on H2, a time-based UUID on Cassandra; it is opaque and only orders lines of one journal.
 * The table form ({@link #row()}) is for people: time, entity, event and the fields shortened.
 */
public record AuditLine(String offset, Instant time, String entity, String event, JsonNode fields) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter TABLE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  /** Longest field summary in a table row; the JSON form has everything. */
  static final int SHORT_FIELDS = 100;

  /** The audit name of a journal persistence id: Pekko's {@code Slot|f1-00.example.com} is {@code Slot:f1-00.example.com}. */
  public static String entityOf(String persistenceId) {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? persistenceId : persistenceId.substring(0, bar) + ":" + persistenceId.substring(bar + 1);
  }

  /** This line as one line of JSON (no newline). */
  public String toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("offset", offset);
    node.put("time", time.toString());
    node.put("entity", entity);
    node.put("event", event);
    node.set("fields", fields == null ? JSON.createObjectNode() : fields);
    return node.toString();
  }

  /** Reads a line written by {@link #toJson()}; a line that is not one is refused naming what is wrong. */
  public static AuditLine parse(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("audit line is not JSON: " + e.getOriginalMessage());
    }
    for (String key : new String[] {"offset", "time", "entity", "event"}) {
      if (node == null || !node.path(key).isTextual()) {
        throw new IllegalArgumentException("audit line has no \"" + key + "\": " + line);
      }
    }
    return new AuditLine(node.get("offset").asText(), Instant.parse(node.get("time").asText()),
        node.get("entity").asText(), node.get("event").asText(), node.path("fields"));
  }

  /** The header of {@link #row()}'s columns. */
  public static String header() {
    return String.format("%-19s  %-36s  %-20s  %s", "TIME (UTC)", "ENTITY", "EVENT", "FIELDS");
  }

  /** Time, entity, event and {@code key=value} fields, shortened to fit a terminal line. */
  public String row() {
    return String.format("%-19s  %-36s  %-20s  %s", TABLE_TIME.format(time), entity, event, shortFields(fields));
  }

  /** {@code key=value ...} of the top-level fields, nulls left out, cut at {@link #SHORT_FIELDS} characters. */
  static String shortFields(JsonNode fields) {
    if (fields == null || !fields.isObject()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getValue().isNull()) continue;
      if (b.length() > 0) b.append(' ');
      b.append(f.getKey()).append('=').append(f.getValue().isValueNode() ? f.getValue().asText() : f.getValue().toString());
    }
    return b.length() <= SHORT_FIELDS ? b.toString() : b.substring(0, SHORT_FIELDS - 3) + "...";
  }
}
