package org.vacuum.accounting.audit;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Which events of the audit trail to show: one entity ({@code Slot:f1-00.example.com}) or every
 * entity of a type ({@code Slot}), and a time range {@code [since, until)}. Null parts match
 * everything.
 *
 * <p>{@link #parse} takes what an operator types ({@code --entity}, {@code --since}, {@code
 * --until}, or the route's query parameters) and refuses a bad value naming the parameter.
 */
public record AuditFilter(String entityType, String entityId, Instant since, Instant until) {

  public static final AuditFilter ALL = new AuditFilter(null, null, null, null);

  /**
   * Reads {@code entity} ({@code TYPE} or {@code TYPE:ID}), {@code since} and {@code until} (ISO-8601
   * instants, {@code 2026-11-21T12:00:00Z}); null or blank means no limit.
   *
   * @throws IllegalArgumentException naming the parameter and the expected form
   */
  public static AuditFilter parse(String entity, String since, String until) {
    String type = null;
    String id = null;
    if (entity != null && !entity.isBlank()) {
      int colon = entity.indexOf(':');
      type = colon < 0 ? entity.strip() : entity.substring(0, colon).strip();
      id = colon < 0 ? null : entity.substring(colon + 1).strip();
      if (type.isEmpty() || (id != null && id.isEmpty())) {
        throw new IllegalArgumentException("entity '" + entity + "' is not TYPE or TYPE:ID (e.g. Slot:f1-00.example.com)");
      }
    }
    Instant from = instant("since", since);
    Instant to = instant("until", until);
    if (from != null && to != null && !from.isBefore(to)) {
      throw new IllegalArgumentException("since " + from + " is not before until " + to);
    }
    return new AuditFilter(type, id, from, to);
  }

  private static Instant instant(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(value.strip());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + " '" + value + "' is not an ISO-8601 instant such as 2026-11-21T12:00:00Z");
    }
  }

  /** Whether the event written by {@code persistenceId} ({@code TYPE|ID}) at {@code time} is wanted. */
  public boolean matches(String persistenceId, Instant time) {
    if (entityType != null) {
      int bar = persistenceId.indexOf('|');
      String type = bar < 0 ? persistenceId : persistenceId.substring(0, bar);
      if (!type.equals(entityType)) return false;
      if (entityId != null && (bar < 0 || !persistenceId.substring(bar + 1).equals(entityId))) return false;
    }
    if (since != null && time.isBefore(since)) return false;
    return until == null || time.isBefore(until);
  }
}
