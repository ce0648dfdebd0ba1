package org.vacuum.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Finds every record in this module that implements {@link CborSerializable} and round-trips an
 * instance of it, with every component filled, through Pekko serialization: the same path a
 * message takes between nodes or into the journal.
 */
class ProtocolSerializationTest {

  private static ActorTestKit testKit;
  private static ActorRef<Object> probeRef;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
    probeRef = testKit.<Object>createTestProbe().ref();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyProtocolRecordRoundTripsThroughJacksonCbor() throws Exception {
    List<Class<?>> records = protocolRecords();
    assertFalse(records.isEmpty(), "no CborSerializable records found");
    Serialization serialization = SerializationExtension.get(testKit.system());
    for (Class<?> type : records) {
      Object original = sample(type);
      Serializer serializer = serialization.findSerializerFor(original);
      assertEquals("JacksonCborSerializer", serializer.getClass().getSimpleName(), type.getName());
      byte[] bytes = serialization.serialize(original).get();
      String manifest = Serializers.manifestFor(serializer, original);
      Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();
      assertEquals(original, back, type.getName() + " changed in a round trip");
    }
  }

  @Test
  void theProtocolHasTheFactoryMessages() throws Exception {
    Set<String> names = Set.copyOf(protocolRecords().stream().map(Class::getSimpleName).toList());
    for (String expected : List.of("Register", "SetDrain", "ClearDrain", "FactoryQuery", "Heartbeat",
        "FactoryRegistered", "DrainSet", "DrainCleared", "FactoryStatus")) {
      assertTrue(names.contains(expected), expected + " missing from " + names);
    }
  }

  /** Every concrete record under this module's classes directory that is CborSerializable. */
  private static List<Class<?>> protocolRecords() throws IOException, URISyntaxException {
    Path root = Path.of(CborSerializable.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Class<?>> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
        try {
          Class<?> type = Class.forName(name, false, CborSerializable.class.getClassLoader());
          if (type.isRecord() && CborSerializable.class.isAssignableFrom(type)) {
            found.add(type);
          }
        } catch (ClassNotFoundException | LinkageError e) {
          throw new AssertionError("cannot load " + name, e);
        }
      }
    }
    return found;
  }

  /** An instance with every component set to a non-default value of its type. */
  private static Object sample(Class<?> type) throws Exception {
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = sampleValue(components[i].getType(), components[i].getGenericType(), i);
    }
    Constructor<?> constructor = type.getDeclaredConstructor(types);
    constructor.setAccessible(true);
    return constructor.newInstance(values);
  }

  private static Object sampleValue(Class<?> type, Type generic, int i) throws Exception {
    if (type == String.class) return "value-" + i;
    if (type == int.class || type == Integer.class) return 10 + i;
    if (type == long.class || type == Long.class) return 1_700_000_000L + i;
    if (type == double.class || type == Double.class) return 1.25 + i;
    if (type == boolean.class || type == Boolean.class) return true;
    if (type == Instant.class) return Instant.ofEpochSecond(1_700_000_000L + i, 123_000_000);
    if (type == ActorRef.class) return probeRef;
    if (type.isEnum()) return type.getEnumConstants()[type.getEnumConstants().length - 1];
    if (type.isRecord()) return sample(type);
    if (type == Optional.class) return Optional.of(sampleValue(argument(generic, 0), null, i));
    if (type == List.class) return List.of(sampleValue(argument(generic, 0), null, i));
    if (type == Set.class) return Set.of(sampleValue(argument(generic, 0), null, i));
    if (type == Map.class) return Map.of("key-" + i, sampleValue(argument(generic, 1), null, i));
    throw new AssertionError("no sample value for component type " + type.getName());
  }

  private static Class<?> argument(Type generic, int index) {
    Type arg = ((ParameterizedType) generic).getActualTypeArguments()[index];
    return (Class<?>) (arg instanceof ParameterizedType p ? p.getRawType() : arg);
  }
}
