package org.vacuum.protocol;

/**
 * Marker for every message that crosses nodes or lands in the journal: commands, replies,
 * events and entity state. Bound to Pekko's {@code jackson-cbor} serializer in this module's
 * {@code reference.conf}, so nothing else (never {@code Object} or {@code Serializable}) needs a
 * binding. Implementations are Java records; compile with {@code -parameters} so Jackson can
 * read their constructors.
 */
public interface CborSerializable {}
