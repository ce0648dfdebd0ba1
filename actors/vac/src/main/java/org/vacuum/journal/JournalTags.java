package org.vacuum.journal;

import java.util.Set;

/**
 * The tags vacuum's entities write with their events, so the read side finds them with {@code
 * eventsByTag} on either journal (H2's {@code event_tag} table, Cassandra's {@code tag_views}).
 *
 * <ul>
 *   <li>{@link #AUDIT}: every event of every entity, for the audit trail in journal order.
 *   <li>{@link #slotsOf}: the events of one factory's slots, read by that factory's accounting
 *       projection only. One tag per factory (not a tag for all slots, nor sliced tags) because
 *       every factory accounts its own machines on its own node, so each projection reads exactly
 *       its own events and needs no sharding.
 * </ul>
 *
 * Tags are written with the event and never change: renaming one hides old events from readers.
 */
public final class JournalTags {

  /** Every persisted event of every entity. */
  public static final String AUDIT = "audit";

  /** What an entity other than a slot tags its events with. */
  public static final Set<String> AUDIT_ONLY = Set.of(AUDIT);

  private JournalTags() {}

  /** The tag of the events of factory {@code factory}'s slots. */
  public static String slotsOf(String factory) {
    return "slot-" + factory;
  }
}
