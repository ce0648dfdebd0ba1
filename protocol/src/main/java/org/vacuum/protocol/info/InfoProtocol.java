package org.vacuum.protocol.info;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.vacuum.protocol.CborSerializable;

/**
 * The messages of VC3's information model (reference/vc3.md §1): one persistent entity per named
 * object of a kind ({@code user}, {@code project}, {@code resource}, {@code nodeinfo}, {@code
 * nodeset}, {@code cluster}, {@code environment}, {@code allocation}, {@code request}) and one
 * name index per kind. The entities and the attribute schema of each kind live in {@code actors}
 * ({@code org.vacuum.infoservice}).
 *
 * <p><b>Attribute values</b> travel and persist as JSON text, one per attribute name ({@code
 * "\"alice\""}, {@code "4"}, {@code "[\"cvmfs\"]"}, {@code "null"}): the schema allows strings,
 * integers, booleans, lists, maps and (for status fields) nested objects, and JSON text carries all
 * of them exactly through CBOR without a type per value. {@code "null"} means "unset".
 *
 * <p>Every command is answered: with the object ({@link InfoObject}) or a {@link Rejected} saying
 * why, which persists nothing.
 */
public final class InfoProtocol {

  private InfoProtocol() {}

  /** Who asks for a change: users may set only user-owned attributes, the system any attribute. */
  public enum Origin { USER, SYSTEM }

  /** Why a command was refused; the REST layer maps these to 404, 409, 412 and 400. */
  public enum Reason { NOT_FOUND, EXISTS, VERSION_MISMATCH, INVALID }

  // ---- entity -----------------------------------------------------------------------------------

  /** What an information entity accepts. Its kind and name are those of the entity it reaches. */
  public sealed interface Command extends CborSerializable permits Create, Update, Delete, Get {}

  /**
   * Create the object with these attributes (JSON text by name); the rest take their defaults.
   * Refused if it exists, or naming every attribute that is unknown, of the wrong type, not an
   * allowed value, or system-owned while {@code origin} is USER.
   */
  public record Create(Map<String, String> attributes, Origin origin, String by, ActorRef<InfoReply> replyTo)
      implements Command {}

  /**
   * Sparse update: set only the given attributes. {@code expectedVersion} (null = any) must equal
   * the current version. Attributes whose value does not change are dropped; if none is left, the
   * current object is the answer and nothing is persisted (the version stays).
   */
  public record Update(Map<String, String> attributes, Integer expectedVersion, Origin origin, String by,
      ActorRef<InfoReply> replyTo) implements Command {}

  /** Delete the object; {@code expectedVersion} as for {@link Update}. Answers the object as it was. */
  public record Delete(Integer expectedVersion, String by, ActorRef<InfoReply> replyTo) implements Command {}

  /** The object, secrets included: masking is the REST layer's business. */
  public record Get(ActorRef<InfoReply> replyTo) implements Command {}

  /** The answer to an entity command. */
  public sealed interface InfoReply extends CborSerializable permits InfoObject, Rejected {}

  /**
   * An object of the information model: its kind, name, version (1 at creation, +1 per update that
   * changed something) and its stored attributes as JSON text (attributes never set are absent).
   */
  public record InfoObject(String kind, String name, int version, Map<String, String> attributes)
      implements InfoReply {}

  /** A refusal: why, in words naming what and where, and the current version (0 if none). */
  public record Rejected(Reason reason, String error, int currentVersion) implements InfoReply {}

  /** Facts an information entity persists. Never deleted or rewritten. */
  public sealed interface Event extends CborSerializable permits Created, Updated, Deleted {}

  /** The object was created with these attributes (defaults included), by {@code by}. */
  public record Created(String kind, String name, Map<String, String> attributes, String by, Instant at)
      implements Event {}

  /** These attributes changed (only these; {@code "null"} = unset) and the object is now at {@code version}. */
  public record Updated(String kind, String name, Map<String, String> changed, int version, String by, Instant at)
      implements Event {}

  /** The object was deleted; the name may be created again, starting over at version 1. */
  public record Deleted(String kind, String name, String by, Instant at) implements Event {}

  // ---- index ------------------------------------------------------------------------------------

  /** What a kind's name index accepts; each command is idempotent. */
  public sealed interface IndexCommand extends CborSerializable permits AddName, RemoveName, ListNames {}

  /** Record that an object of this name may exist (sent before creating it). */
  public record AddName(String name, ActorRef<StatusReply<Done>> replyTo) implements IndexCommand {}

  /** Record that the object of this name is gone (sent after deleting it). */
  public record RemoveName(String name, ActorRef<StatusReply<Done>> replyTo) implements IndexCommand {}

  /** Every recorded name, sorted. */
  public record ListNames(ActorRef<StatusReply<Names>> replyTo) implements IndexCommand {}

  /** The answer to {@link ListNames}. */
  public record Names(List<String> names) implements CborSerializable {}

  /** Facts a name index persists. */
  public sealed interface IndexEvent extends CborSerializable permits NameAdded, NameRemoved {}

  public record NameAdded(String kind, String name, Instant at) implements IndexEvent {}

  public record NameRemoved(String kind, String name, Instant at) implements IndexEvent {}
}
