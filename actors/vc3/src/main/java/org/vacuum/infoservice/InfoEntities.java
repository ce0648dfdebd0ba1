package org.vacuum.infoservice;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.protocol.info.InfoProtocol.AddName;
import org.vacuum.protocol.info.InfoProtocol.Command;
import org.vacuum.protocol.info.InfoProtocol.Create;
import org.vacuum.protocol.info.InfoProtocol.Delete;
import org.vacuum.protocol.info.InfoProtocol.Get;
import org.vacuum.protocol.info.InfoProtocol.IndexCommand;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;
import org.vacuum.protocol.info.InfoProtocol.InfoReply;
import org.vacuum.protocol.info.InfoProtocol.ListNames;
import org.vacuum.protocol.info.InfoProtocol.Names;
import org.vacuum.protocol.info.InfoProtocol.Origin;
import org.vacuum.protocol.info.InfoProtocol.Reason;
import org.vacuum.protocol.info.InfoProtocol.Rejected;
import org.vacuum.protocol.info.InfoProtocol.RemoveName;
import org.vacuum.protocol.info.InfoProtocol.Update;

/**
 * The Java API of the information model, for the REST routes and for vacuum's own state machines
 * (allocation, virtual cluster, head node): create, read, list, update and delete objects by
 * kind and name, through sharding, from any node.
 *
 * <p>Every stage completes with the object ({@link InfoObject}; read attributes with {@link
 * InfoKind#value}/{@link InfoKind#text}) or fails with an {@link InfoRejectedException} saying why
 * (not found, exists, version mismatch, invalid) or with the ask's {@link
 * java.util.concurrent.TimeoutException}. Values given as plain Java (String, Integer, Boolean,
 * List of String, Map of String, JsonNode; null = unset) are checked against the kind's schema.
 *
 * <p>The system side uses {@link #systemCreate} and {@link #systemUpdate}, which may set
 * system-owned attributes ({@code state}, {@code state_reason}, status, keys); the REST routes only
 * ever use {@link Origin#USER}. Create and delete also keep the kind's {@link InfoIndex} (see its
 * contract), so use this class rather than sending {@code Create}/{@code Delete} yourself.
 */
public final class InfoEntities {

  private static final Logger log = LoggerFactory.getLogger(InfoEntities.class);

  /** How long one ask may take: a first ask also recovers the entity from the journal. */
  public static final Duration TIMEOUT = Duration.ofSeconds(15);

  /** The author vacuum's own state machines write as. */
  public static final String SYSTEM = "vacuum";

  private final ClusterSharding sharding;

  private InfoEntities(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
  }

  public static InfoEntities get(ActorSystem<?> system) {
    return new InfoEntities(system);
  }

  /** A refusal of the information model, with its reason and the object's current version (0 if none). */
  public static final class InfoRejectedException extends RuntimeException {
    private final Rejected rejected;

    public InfoRejectedException(Rejected rejected) {
      super(rejected.error());
      this.rejected = rejected;
    }

    public Reason reason() {
      return rejected.reason();
    }

    public int currentVersion() {
      return rejected.currentVersion();
    }
  }

  // ---- the user side and the system side ---------------------------------------------------------

  /** Creates an object as a user would (system-owned attributes refused). */
  public CompletionStage<InfoObject> create(InfoKind kind, String name, Map<String, ?> attributes, String by) {
    return create(kind, name, InfoKind.fromJava(attributes), Origin.USER, by);
  }

  /** Creates an object as vacuum (e.g. a head-node nodeset): any attribute may be set. */
  public CompletionStage<InfoObject> systemCreate(InfoKind kind, String name, Map<String, ?> attributes) {
    return create(kind, name, InfoKind.fromJava(attributes), Origin.SYSTEM, SYSTEM);
  }

  /** Sparse update as a user would; {@code expectedVersion} null = whatever the current version. */
  public CompletionStage<InfoObject> update(InfoKind kind, String name, Map<String, ?> changes,
      Integer expectedVersion, String by) {
    return update(kind, name, InfoKind.fromJava(changes), expectedVersion, Origin.USER, by);
  }

  /**
   * Sparse update as vacuum: e.g. {@code systemUpdate(ALLOCATION, "alice.cori", Map.of("state",
   * "configured", "state_reason", "Waiting for allocation to be validated."), null)}. Writing the
   * values already there persists nothing and keeps the version.
   */
  public CompletionStage<InfoObject> systemUpdate(InfoKind kind, String name, Map<String, ?> changes,
      Integer expectedVersion) {
    return update(kind, name, InfoKind.fromJava(changes), expectedVersion, Origin.SYSTEM, SYSTEM);
  }

  public CompletionStage<InfoObject> get(InfoKind kind, String name) {
    return ask(kind, name, Get::new);
  }

  /** The object, or empty if there is none of that name. */
  public CompletionStage<Optional<InfoObject>> find(InfoKind kind, String name) {
    return get(kind, name).thenApply(Optional::of).exceptionally(e -> {
      if (unwrap(e) instanceof InfoRejectedException r && r.reason() == Reason.NOT_FOUND) {
        return Optional.empty();
      }
      throw e instanceof CompletionException c ? c : new CompletionException(e);
    });
  }

  /** Every object of the kind, sorted by name. */
  public CompletionStage<List<InfoObject>> list(InfoKind kind) {
    return index(kind).<Names>askWithStatus(ListNames::new, TIMEOUT).thenCompose(names -> {
      List<CompletableFuture<Optional<InfoObject>>> asks = new ArrayList<>();
      for (String name : names.names()) {
        asks.add(find(kind, name).toCompletableFuture());
      }
      return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(done -> asks.stream()
          .map(CompletableFuture::join)
          .flatMap(Optional::stream)
          .sorted(Comparator.comparing(InfoObject::name))
          .toList());
    });
  }

  /** Deletes the object; {@code expectedVersion} null = whatever the current version. Completes with it as it was. */
  public CompletionStage<InfoObject> delete(InfoKind kind, String name, Integer expectedVersion, String by) {
    return ask(kind, name, replyTo -> new Delete(expectedVersion, by, replyTo)).thenCompose(last ->
        index(kind).<Done>askWithStatus(replyTo -> new RemoveName(name, replyTo), TIMEOUT)
            .handle((done, e) -> {
              if (e != null) {
                // Harmless: a listing skips names whose entity says it does not exist.
                log.warn("{} {} deleted but its name is still indexed: {}", kind.key(), name, e.toString());
              }
              return last;
            }));
  }

  // ---- the commands ------------------------------------------------------------------------------

  public CompletionStage<InfoObject> create(InfoKind kind, String name, Map<String, JsonNode> attributes, Origin origin,
      String by) {
    // Checked here too, so a refused body never leaves its name in the index.
    List<String> problems = new ArrayList<>();
    String nameProblem = kind.nameProblem(name);
    if (nameProblem != null) {
      problems.add(nameProblem);
    }
    problems.addAll(kind.problems(attributes, origin).values());
    if (!problems.isEmpty()) {
      return CompletableFuture.failedFuture(new InfoRejectedException(
          new Rejected(Reason.INVALID, kind.key() + " " + name + ": " + String.join("; ", problems), 0)));
    }
    Map<String, String> text = InfoKind.toText(attributes);
    // The name first, the object second: the index may name too many objects, never too few.
    return index(kind).<Done>askWithStatus(replyTo -> new AddName(name, replyTo), TIMEOUT)
        .thenCompose(done -> ask(kind, name, replyTo -> new Create(text, origin, by, replyTo)));
  }

  public CompletionStage<InfoObject> update(InfoKind kind, String name, Map<String, JsonNode> changes,
      Integer expectedVersion, Origin origin, String by) {
    Map<String, String> text = InfoKind.toText(changes);
    return ask(kind, name, replyTo -> new Update(text, expectedVersion, origin, by, replyTo));
  }

  private CompletionStage<InfoObject> ask(InfoKind kind, String name, Function<ActorRef<InfoReply>, Command> message) {
    EntityRef<Command> entity = sharding.entityRefFor(kind.entityKey(), name);
    return entity.<InfoReply>ask(message::apply, TIMEOUT).thenApply(reply -> {
      if (reply instanceof Rejected rejected) {
        throw new InfoRejectedException(rejected);
      }
      return (InfoObject) reply;
    });
  }

  private EntityRef<IndexCommand> index(InfoKind kind) {
    return sharding.entityRefFor(InfoIndex.ENTITY_KEY, kind.key());
  }

  /** The cause of a failed stage, without the CompletionException wrapper. */
  public static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }
}
