package org.vacuum.infoservice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.vacuum.protocol.info.InfoProtocol.AddName;
import org.vacuum.protocol.info.InfoProtocol.Command;
import org.vacuum.protocol.info.InfoProtocol.Create;
import org.vacuum.protocol.info.InfoProtocol.Created;
import org.vacuum.protocol.info.InfoProtocol.Delete;
import org.vacuum.protocol.info.InfoProtocol.Deleted;
import org.vacuum.protocol.info.InfoProtocol.Event;
import org.vacuum.protocol.info.InfoProtocol.Get;
import org.vacuum.protocol.info.InfoProtocol.IndexCommand;
import org.vacuum.protocol.info.InfoProtocol.IndexEvent;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;
import org.vacuum.protocol.info.InfoProtocol.InfoReply;
import org.vacuum.protocol.info.InfoProtocol.ListNames;
import org.vacuum.protocol.info.InfoProtocol.NameAdded;
import org.vacuum.protocol.info.InfoProtocol.Names;
import org.vacuum.protocol.info.InfoProtocol.Origin;
import org.vacuum.protocol.info.InfoProtocol.Reason;
import org.vacuum.protocol.info.InfoProtocol.Rejected;
import org.vacuum.protocol.info.InfoProtocol.RemoveName;
import org.vacuum.protocol.info.InfoProtocol.Update;
import org.vacuum.protocol.info.InfoProtocol.Updated;

class InfoEntityTest {

  private static final Path DATA_KEYS = tempDataKeys();
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory
      .parseMap(Map.of("vacuum.security.data-keys", DATA_KEYS.toString()))
      .withFallback(EventSourcedBehaviorTestKit.config()));

  private static Path tempDataKeys() {
    try {
      return Files.createTempDirectory("info-entity-test").resolve("data-keys");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static EventSourcedBehaviorTestKit<Command, Event, InfoEntity.State> entity(InfoKind kind, String name) {
    EventSourcedBehaviorTestKit<Command, Event, InfoEntity.State> kit =
        EventSourcedBehaviorTestKit.create(testKit.system(), InfoEntity.create(kind, name, CLOCK));
    kit.clear();
    return kit;
  }

  private static CommandResultWithReply<Command, Event, InfoEntity.State, InfoReply> create(
      EventSourcedBehaviorTestKit<Command, Event, InfoEntity.State> kit, Map<String, ?> attributes, Origin origin) {
    Map<String, String> text = InfoKind.toText(InfoKind.fromJava(attributes));
    return kit.runCommand(r -> new Create(text, origin, "alice", r));
  }

  private static CommandResultWithReply<Command, Event, InfoEntity.State, InfoReply> update(
      EventSourcedBehaviorTestKit<Command, Event, InfoEntity.State> kit, Map<String, ?> changes, Integer expected,
      Origin origin) {
    Map<String, String> text = InfoKind.toText(InfoKind.fromJava(changes));
    return kit.runCommand(r -> new Update(text, expected, origin, "alice", r));
  }

  private static Rejected rejected(InfoReply reply, Reason reason) {
    Rejected rejected = assertInstanceOf(Rejected.class, reply);
    assertEquals(reason, rejected.reason(), rejected.error());
    return rejected;
  }

  @Test
  void creatingPersistsTheGivenAttributesOverTheDefaultsAtVersionOne() {
    var kit = entity(InfoKind.NODEINFO, "cori");
    var result = create(kit, Map.of("cores", 32, "features", List.of("shifter")), Origin.USER);
    assertEquals(new Created("nodeinfo", "cori", Map.of("state", "\"new\"", "cores", "32", "memory_mb", "1024",
        "storage_mb", "1024", "native_os", "\"unknown\"", "features", "[\"shifter\"]"), "alice", NOW), result.event());
    InfoObject object = assertInstanceOf(InfoObject.class, result.reply());
    assertEquals(1, object.version());
    assertEquals(32, InfoKind.NODEINFO.value(object, "cores").asInt());
    assertEquals("new", InfoKind.NODEINFO.text(object, "state"));
  }

  @Test
  void creatingWhatExistsIsAConflictAndPersistsNothing() {
    var kit = entity(InfoKind.USER, "alice");
    create(kit, Map.of("email", "alice@example.org"), Origin.USER);
    var again = create(kit, Map.of(), Origin.USER);
    assertEquals(1, rejected(again.reply(), Reason.EXISTS).currentVersion());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void aBadCreationNamesEveryBadAttribute() {
    var kit = entity(InfoKind.RESOURCE, "bad.name");
    var result = create(kit, Map.of("colour", "red", "accessport", "22", "accesstype", "grid", "state", "ready"),
        Origin.USER);
    String error = rejected(result.reply(), Reason.INVALID).error();
    for (String named : List.of("bad.name", "colour", "accessport", "accesstype", "state")) {
      assertTrue(error.contains(named), named + " not named in: " + error);
    }
    assertTrue(result.hasNoEvents());
  }

  @Test
  void aSparseUpdateChangesOnlyTheGivenAttributesAndBumpsTheVersion() {
    var kit = entity(InfoKind.USER, "bob");
    create(kit, Map.of("first", "Bob", "email", "bob@example.org"), Origin.USER);
    var result = update(kit, Map.of("email", "bob@example.com"), 1, Origin.USER);
    assertEquals(new Updated("user", "bob", Map.of("email", "\"bob@example.com\""), 2, "alice", NOW),
        result.event());
    InfoObject object = assertInstanceOf(InfoObject.class, result.reply());
    assertEquals(2, object.version());
    assertEquals("Bob", InfoKind.USER.text(object, "first"));
    assertEquals("bob@example.com", InfoKind.USER.text(object, "email"));
  }

  @Test
  void writingTheSameValuesAgainPersistsNothingAndKeepsTheVersion() {
    var kit = entity(InfoKind.USER, "carol");
    create(kit, Map.of("first", "Carol"), Origin.USER);
    var result = update(kit, Map.of("first", "Carol", "state", "new"), null, Origin.SYSTEM);
    assertTrue(result.hasNoEvents());
    assertEquals(1, assertInstanceOf(InfoObject.class, result.reply()).version());
  }

  @Test
  void anUpdateAgainstAStaleVersionIsRefusedWithTheCurrentOne() {
    var kit = entity(InfoKind.PROJECT, "atlas");
    create(kit, Map.of(), Origin.USER);
    update(kit, Map.of("members", List.of("alice")), 1, Origin.USER);
    var stale = update(kit, Map.of("members", List.of("bob")), 1, Origin.USER);
    assertEquals(2, rejected(stale.reply(), Reason.VERSION_MISMATCH).currentVersion());
    assertTrue(stale.hasNoEvents());
  }

  @Test
  void systemOwnedAttributesAreRefusedFromUsersButAcceptedFromTheSystem() {
    var kit = entity(InfoKind.ALLOCATION, "alice.cori");
    create(kit, Map.of("resource", "cori", "accountname", "alice"), Origin.USER);
    var fromUser = update(kit, Map.of("state", "ready", "privtoken", "c2VjcmV0"), null, Origin.USER);
    String error = rejected(fromUser.reply(), Reason.INVALID).error();
    assertTrue(error.contains("\"state\"") && error.contains("\"privtoken\""), error);
    assertTrue(fromUser.hasNoEvents());

    var fromSystem = update(kit, Map.of("state", "configured", "state_reason", "Waiting for allocation to be validated.",
        "sectype", "ssh-rsa", "privtoken", "c2VjcmV0"), null, Origin.SYSTEM);
    InfoObject object = assertInstanceOf(InfoObject.class, fromSystem.reply());
    assertEquals("configured", InfoKind.ALLOCATION.text(object, "state"));
    String sealed = InfoKind.ALLOCATION.text(object, "privtoken");
    assertTrue(sealed.startsWith("enc:v1:"), "persisted and answered encrypted: " + sealed);
    Updated persisted = assertInstanceOf(Updated.class, fromSystem.event());
    assertFalse(persisted.changed().get("privtoken").contains("c2VjcmV0"), "the journal never holds it in clear");
    assertEquals("c2VjcmV0", InfoSecrets.get(testKit.system()).reveal(sealed), "the system side reveals secrets");
    var again = update(kit, Map.of("privtoken", "c2VjcmV0"), null, Origin.SYSTEM);
    assertTrue(again.hasNoEvents(), "re-storing the same secret is no change");
    assertEquals(InfoKind.MASK, InfoKind.ALLOCATION.render(object, true).get("privtoken").asText());
  }

  @Test
  void theSystemMayStillOnlySetAllowedValues() {
    var kit = entity(InfoKind.VIRTUAL_CLUSTER, "vc1");
    create(kit, Map.of("project", "atlas"), Origin.USER);
    var result = update(kit, Map.of("state", "exploded"), null, Origin.SYSTEM);
    assertTrue(rejected(result.reply(), Reason.INVALID).error().contains("exploded"));
  }

  @Test
  void nullUnsetsAnAttribute() {
    var kit = entity(InfoKind.VIRTUAL_CLUSTER, "vc2");
    create(kit, Map.of("expiration", "2026-12-01T00:00:00"), Origin.USER);
    Map<String, Object> unset = new HashMap<>();
    unset.put("expiration", null);
    InfoObject object = assertInstanceOf(InfoObject.class, update(kit, unset, 1, Origin.USER).reply());
    assertTrue(InfoKind.VIRTUAL_CLUSTER.value(object, "expiration").isNull());
    assertEquals(2, object.version());
  }

  @Test
  void deletingForgetsTheObjectAndTheNameMayBeCreatedAgain() {
    var kit = entity(InfoKind.ENVIRONMENT, "py3");
    create(kit, Map.of("packagelist", List.of("python3")), Origin.USER);
    var deleted = kit.<InfoReply>runCommand(r -> new Delete(null, "alice", r));
    assertEquals(new Deleted("environment", "py3", "alice", NOW), deleted.event());
    assertEquals(1, assertInstanceOf(InfoObject.class, deleted.reply()).version());
    rejected(kit.<InfoReply>runCommand(Get::new).reply(), Reason.NOT_FOUND);
    rejected(kit.<InfoReply>runCommand(r -> new Delete(null, "alice", r)).reply(), Reason.NOT_FOUND);
    rejected(update(kit, Map.of("command", "x"), null, Origin.USER).reply(), Reason.NOT_FOUND);
    assertEquals(1, assertInstanceOf(InfoObject.class, create(kit, Map.of(), Origin.USER).reply()).version());
  }

  @Test
  void anObjectRecoversItsAttributesAndVersionAfterARestart() {
    var kit = entity(InfoKind.NODESET, "workers");
    create(kit, Map.of("node_number", 4, "app_type", "htcondor"), Origin.USER);
    update(kit, Map.of("node_number", 8), null, Origin.USER);
    update(kit, Map.of("state", "running", "app_host", "10.0.0.5"), null, Origin.SYSTEM);
    InfoEntity.State before = kit.getState();
    var restarted = kit.restart();
    assertEquals(before, restarted.state());
    assertEquals(3, restarted.state().version());
    InfoObject object = assertInstanceOf(InfoObject.class, kit.<InfoReply>runCommand(Get::new).reply());
    assertEquals(8, InfoKind.NODESET.value(object, "node_number").asInt());
    assertEquals("10.0.0.5", InfoKind.NODESET.text(object, "app_host"));
    assertTrue(InfoKind.NODESET.value(object, "app_peaceful").asBoolean(), "default kept");
  }

  @Test
  void theIndexAddsAndRemovesNamesIdempotentlyAndListsThemSorted() {
    EventSourcedBehaviorTestKit<IndexCommand, IndexEvent, InfoIndex.State> index =
        EventSourcedBehaviorTestKit.create(testKit.system(), InfoIndex.create("user", CLOCK));
    var added = index.<StatusReply<Done>>runCommand(r -> new AddName("zoe", r));
    assertEquals(new NameAdded("user", "zoe", NOW), added.event());
    index.<StatusReply<Done>>runCommand(r -> new AddName("adam", r));
    assertTrue(index.<StatusReply<Done>>runCommand(r -> new AddName("zoe", r)).hasNoEvents());
    assertEquals(new Names(List.of("adam", "zoe")),
        index.<StatusReply<Names>>runCommand(ListNames::new).reply().getValue());
    index.<StatusReply<Done>>runCommand(r -> new RemoveName("zoe", r));
    assertTrue(index.<StatusReply<Done>>runCommand(r -> new RemoveName("zoe", r)).hasNoEvents());
    assertEquals(Set.of("adam"), index.restart().state().names());
  }

  @Test
  void everyKindStartsAsNewAndHasADistinctPathAndEntityType() {
    assertEquals(9, InfoKind.values().length);
    assertEquals(9, InfoKind.all().map(InfoKind::path).distinct().count());
    assertEquals(9, InfoKind.all().map(k -> k.entityKey().name()).distinct().count());
    InfoKind.all().forEach(k -> assertEquals("new", k.attributes().get("state").defaultValue().asText(), k.key()));
    assertFalse(InfoKind.USER.nameProblem("alice") != null);
    assertTrue(InfoKind.USER.nameProblem("alice.smith") != null, "dots only in allocation names");
    assertTrue(InfoKind.ALLOCATION.nameProblem("alice.cori") == null);
    assertTrue(InfoKind.ALLOCATION.nameProblem("alice..cori") != null);
  }
}
