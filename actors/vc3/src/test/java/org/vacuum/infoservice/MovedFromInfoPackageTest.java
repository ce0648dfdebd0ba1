package org.vacuum.infoservice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A journal written before the infoservice classes left {@code org.vacuum.info} holds snapshots
 * whose manifests name the old package: they still read, as the classes of today.
 */
class MovedFromInfoPackageTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void snapshotsWrittenUnderTheOldPackageNameReadAsTheNewClasses() throws Exception {
    Serialization serialization = SerializationExtension.get(testKit.system());
    InfoIndex.State index = new InfoIndex.State(Set.of("alice", "bob"));
    InfoEntity.State entity = new InfoEntity.State(Map.of("owner", "\"alice\""), 3);
    for (Object state : new Object[] {index, entity}) {
      SerializerWithStringManifest serializer = (SerializerWithStringManifest) serialization.findSerializerFor(state);
      byte[] bytes = serializer.toBinary(state);
      String oldManifest = serializer.manifest(state).replace("org.vacuum.infoservice.", "org.vacuum.info.");
      assertEquals(state, serializer.fromBinary(bytes, oldManifest), oldManifest);
    }
  }
}
