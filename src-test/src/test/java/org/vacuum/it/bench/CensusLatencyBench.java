package org.vacuum.it.bench;

import org.vacuum.protocol.factory.FactoryProtocol;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumConfig;
import org.vacuum.config.VacuumSettings;
import org.vacuum.factory.Factory;
import org.vacuum.host.FactoryHost;
import org.vacuum.host.PinnedToFactory;
import org.vacuum.it.TestNodes;
import org.vacuum.protocol.factory.FactoryProtocol.Command;
import org.vacuum.protocol.factory.FactoryProtocol.SlotsReconciled;
import org.vacuum.space.Census;

/**
 * Census latency: how long {@link Census#run} (the census {@code vacuum factories} and the admin
 * API run: one sharded ask per factory under one deadline) takes for 10, 50 and 100 factories,
 * next to a raw UDP fan-out measured in the same run (Java {@link DatagramChannel}s, one request
 * and one reply per factory, Vac-sized JSON). Prints the table and appends it to {@code
 * BENCHMARKS.md} at the repository root. No assertion on the times: it is a measurement.
 *
 * <p>Set-up, for each size: one JVM, five ActorSystems forming one cluster over Artery TCP on
 * loopback. One control member (no factory) runs the census, so every ask crosses the network;
 * four factory members host the factories round-robin, each factory a real {@code Factory} entity
 * pinned to its member by the external shard allocation, with empty slots and no hypervisor (its
 * {@code factory_status} still reads {@code /proc} and {@code statvfs} each time, as a real one
 * does). Members carry one {@code factory=NAME} role per factory they host. The journal is Pekko's
 * in-memory one (a query persists nothing). The UDP side has the same shape: four responder
 * threads (one per factory member), each serving its factories' sockets with one selector and
 * answering a {@code factory_status} JSON taken from the census's own replies, to one client
 * socket that sends all requests, then waits for all replies.
 */
class CensusLatencyBench {

  private static final int[] SIZES = {10, 50, 100};
  private static final int FACTORY_MEMBERS = 4;
  private static final int WARMUP = 50;
  private static final int RUNS = 300;
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final String SPACE = TestNodes.SPACE;

  @TempDir Path dir;

  record Row(int factories, double censusP50, double censusP99, double machinesP50, double udpP50, double udpP99,
      int replyBytes) {}

  @Test
  void censusLatencyNextToRawUdpFanOut() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (int n : SIZES) {
      byte[] reply;
      double[] census;
      double[] machines;
      try (Space space = Space.start(dir.resolve("space-" + n), n)) {
        Census.Result warm = space.warmUp();
        reply = new ObjectMapper().writeValueAsBytes(warm.factories().get(0));
        census = space.measure();
        machines = space.measureMachines();
      }
      double[] udp = UdpFanOut.measure(n, reply);
      rows.add(new Row(n, percentile(census, 50), percentile(census, 99), percentile(machines, 50), percentile(udp, 50), percentile(udp, 99),
          reply.length));
    }
    BenchmarkReport.append("Census latency (CensusLatencyBench)", List.of(table(rows)));
  }

  /** One cluster: a control member that runs the census and four members hosting n factories. */
  static final class Space implements AutoCloseable {
    final List<ActorSystem<Void>> systems = new ArrayList<>();
    ActorSystem<Void> control;
    VacuumSettings controlSettings;
    final int factories;

    private Space(int factories) {
      this.factories = factories;
    }

    static Space start(Path dir, int n) throws Exception {
      Space space = new Space(n);
      int seedPort = TestNodes.freePort();
      List<String> seeds = List.of("127.0.0.1:" + seedPort);
      Map<String, Object> controlConfig = member("census", dir.resolve("census"), seedPort, seeds);
      controlConfig.put("pekko.cluster.roles", List.of(VacuumSettings.CONTROL_ROLE));
      VacuumConfig.NodeConfig c = VacuumConfig.load(Optional.empty(), controlConfig);
      space.controlSettings = c.settings();
      space.control = ActorSystem.create(Behaviors.empty(), VacuumConfig.SYSTEM_NAME, c.config());
      space.systems.add(space.control);
      // As a node without a factory does: sharding of factories as a proxy.
      Factory.init(space.control, c.settings(), null);

      List<Map<String, FactoryHost>> hosted = new ArrayList<>();
      for (int m = 0; m < FACTORY_MEMBERS; m++) hosted.add(new LinkedHashMap<>());
      for (int i = 0; i < n; i++) {
        String name = String.format(Locale.ROOT, "b%03d.example.com", i);
        Path state = Files.createDirectories(dir.resolve(name));
        VacuumSettings settings = VacuumConfig.load(Optional.empty(), Map.of("vacuum.factory-name", name,
            "vacuum.space", SPACE, "vacuum.state-dir", state.toString())).settings();
        hosted.get(i % FACTORY_MEMBERS).put(name,
            new FactoryHost(settings, null, null, Runnable::run, Clock.systemUTC()));
      }
      for (int m = 0; m < FACTORY_MEMBERS; m++) {
        Map<String, FactoryHost> mine = hosted.get(m);
        if (mine.isEmpty()) continue;
        List<String> roles = new ArrayList<>(List.of(VacuumSettings.FACTORY_ROLE));
        mine.keySet().forEach(name -> roles.add(VacuumSettings.FACTORY_NAME_ROLE_PREFIX + name));
        Map<String, Object> config = member(mine.keySet().iterator().next(), dir.resolve("member-" + m),
            TestNodes.freePort(), seeds);
        config.put("pekko.cluster.roles", roles);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), VacuumConfig.SYSTEM_NAME,
            VacuumConfig.load(Optional.empty(), config).config());
        space.systems.add(system);
        PinnedToFactory.<Command>init(system, FactoryProtocol.ENTITY_KEY, id -> id,
            id -> mine.containsKey(id) ? Factory.create(mine.get(id), new SplittableRandom(1)) : stopped());
      }
      TestNodes.await(Duration.ofSeconds(60), (1 + Math.min(n, FACTORY_MEMBERS)) + " Up members",
          () -> space.systems.stream().allMatch(s -> up(s) == space.systems.size()));
      for (int m = 1; m < space.systems.size(); m++) {
        for (String name : hosted.get(m - 1).keySet()) {
          PinnedToFactory.registerShardLocation(space.systems.get(m), FactoryProtocol.ENTITY_KEY, name)
              .toCompletableFuture().get();
          // What a node says once it has reconciled its (here: no) machines; until then a factory
          // does not answer censuses.
          ClusterSharding.get(space.systems.get(m)).entityRefFor(FactoryProtocol.ENTITY_KEY, name)
              .tell(new SlotsReconciled());
        }
      }
      return space;
    }

    private static Behavior<Command> stopped() {
      return Behaviors.stopped();
    }

    private static Map<String, Object> member(String name, Path state, int port, List<String> seeds) {
      Map<String, Object> config = new HashMap<>(TestNodes.settings("unused", state, port, seeds));
      config.put("vacuum.factory-name", name.contains(".") ? name : name + ".example.com");
      config.put("pekko.persistence.journal.plugin", "pekko.persistence.journal.inmem");
      config.put("pekko.persistence.snapshot-store.plugin", "pekko.persistence.snapshot-store.local");
      config.put("pekko.persistence.snapshot-store.local.dir", state.resolve("snapshots").toString());
      config.put("pekko.loglevel", "WARNING");
      return config;
    }

    private static long up(ActorSystem<?> system) {
      return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
          .filter(m -> m.status() == MemberStatus.up()).count();
    }

    /** Runs censuses until every factory answers (entities started, shards allocated), then WARMUP more. */
    Census.Result warmUp() throws Exception {
      Instant limit = Instant.now().plusSeconds(120);
      Census.Result result = census();
      while (!result.noReply().isEmpty() || result.factories().size() != factories) {
        if (Instant.now().isAfter(limit)) {
          throw new AssertionError("not every factory answers the census: no reply from " + result.noReply());
        }
        result = census();
      }
      for (int i = 0; i < WARMUP; i++) census();
      return result;
    }

    /** RUNS censuses one after another; each one's time in milliseconds. */
    double[] measure() throws Exception {
      double[] ms = new double[RUNS];
      for (int i = 0; i < RUNS; i++) {
        long start = System.nanoTime();
        Census.Result result = census();
        ms[i] = (System.nanoTime() - start) / 1e6;
        assertEquals(factories, result.factories().size(), "factories answering census " + i);
      }
      return ms;
    }

    /** The same with the machines query, which reads no host facts: where the factory_status time goes. */
    double[] measureMachines() throws Exception {
      double[] ms = new double[RUNS];
      for (int i = 0; i < RUNS; i++) {
        long start = System.nanoTime();
        Census.MachinesResult result = Census.machines(control, controlSettings, DEADLINE, List.of())
            .toCompletableFuture().get();
        ms[i] = (System.nanoTime() - start) / 1e6;
        assertEquals(List.of(), result.noReply(), "factories silent in machines census " + i);
      }
      return ms;
    }

    private Census.Result census() throws Exception {
      return Census.run(control, controlSettings, DEADLINE).toCompletableFuture().get();
    }

    @Override
    public void close() {
      for (int i = systems.size() - 1; i >= 0; i--) {
        systems.get(i).terminate();
        systems.get(i).getWhenTerminated().toCompletableFuture().join();
      }
    }
  }

  /** The raw UDP fan-out: n responder sockets on FACTORY_MEMBERS threads, one client socket. */
  static final class UdpFanOut {

    // Vac's query (reference/vac.md §3.2) with a cookie-sized hex string.
    private static final String QUERY = "{\"vac_version\": \"Vac 03.01 vac-command\", \"vacquery_version\": "
        + "\"VacQuery 01.03\", \"space\": \"" + SPACE + "\", \"cookie\": \"" + "0123456789abcdef".repeat(4)
        + "\", \"message_type\": \"factory_query\", \"method\": \"factories\"}";

    static double[] measure(int n, byte[] replyJson) throws Exception {
      InetAddress loopback = InetAddress.getLoopbackAddress();
      List<DatagramChannel> responders = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      List<Selector> selectors = new ArrayList<>();
      try (DatagramChannel client = DatagramChannel.open()) {
        for (int t = 0; t < FACTORY_MEMBERS; t++) selectors.add(Selector.open());
        for (int i = 0; i < n; i++) {
          DatagramChannel ch = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
          ch.configureBlocking(false);
          ch.register(selectors.get(i % FACTORY_MEMBERS), SelectionKey.OP_READ);
          responders.add(ch);
        }
        for (Selector selector : selectors) {
          Thread thread = new Thread(() -> respond(selector, replyJson), "udp-responder");
          thread.setDaemon(true);
          thread.start();
          threads.add(thread);
        }
        client.setOption(StandardSocketOptions.SO_RCVBUF, 16 << 20);
        client.bind(new InetSocketAddress(loopback, 0)).configureBlocking(false);
        Selector clientSelector = Selector.open();
        client.register(clientSelector, SelectionKey.OP_READ);
        List<SocketAddress> targets = new ArrayList<>();
        for (DatagramChannel ch : responders) targets.add(ch.getLocalAddress());
        byte[] query = QUERY.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < WARMUP; i++) round(client, clientSelector, targets, query, i);
        double[] ms = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
          long start = System.nanoTime();
          round(client, clientSelector, targets, query, WARMUP + i);
          ms[i] = (System.nanoTime() - start) / 1e6;
        }
        clientSelector.close();
        return ms;
      } finally {
        threads.forEach(Thread::interrupt);
        for (Selector s : selectors) s.close();
        for (DatagramChannel ch : responders) ch.close();
      }
    }

    /** Sends the query to every target, then waits for one reply of this round from each. */
    private static void round(DatagramChannel client, Selector selector, List<SocketAddress> targets, byte[] query,
        long round) throws IOException {
      ByteBuffer out = ByteBuffer.allocate(8 + query.length);
      for (SocketAddress target : targets) {
        out.clear();
        out.putLong(round).put(query).flip();
        client.send(out, target);
      }
      ByteBuffer in = ByteBuffer.allocate(10240);
      int replies = 0;
      while (replies < targets.size()) {
        if (selector.select(DEADLINE.toMillis()) == 0) {
          throw new AssertionError("UDP round " + round + ": " + replies + " of " + targets.size() + " replies");
        }
        selector.selectedKeys().clear();
        in.clear();
        while (client.receive(in) != null) {
          in.flip();
          if (in.getLong() == round) replies++;
          in.clear();
        }
      }
    }

    /** A responder thread: answers every query on its sockets with the reply, tagged with the query's round. */
    private static void respond(Selector selector, byte[] replyJson) {
      ByteBuffer in = ByteBuffer.allocate(1024);
      ByteBuffer out = ByteBuffer.allocate(8 + replyJson.length);
      try {
        while (!Thread.currentThread().isInterrupted() && selector.isOpen()) {
          selector.select();
          for (SelectionKey key : selector.selectedKeys()) {
            DatagramChannel ch = (DatagramChannel) key.channel();
            in.clear();
            SocketAddress from;
            while ((from = ch.receive(in)) != null) {
              in.flip();
              long round = in.getLong();
              out.clear();
              out.putLong(round).put(replyJson).flip();
              ch.send(out, from);
              in.clear();
            }
          }
          selector.selectedKeys().clear();
        }
      } catch (IOException | java.nio.channels.ClosedSelectorException e) {
        // closed at the end of the measurement
      }
    }
  }

  static double percentile(double[] values, int p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static String table(List<Row> rows) throws Exception {
    StringBuilder s = new StringBuilder();
    s.append("\nOne JVM, one cluster per size over Artery TCP on loopback: the census runs on a control member\n"
        + "without factories (every ask crosses the network) through `Census.run`, the sharded ask path of\n"
        + "`vacuum factories`; four members host the factories round-robin, each a real `Factory` entity\n"
        + "(empty slots, no hypervisor, `factory_status` host facts from /proc and statvfs, at most once a second; in-memory\n"
        + "journal). Raw UDP: the same shape with `DatagramChannel`s, four responder threads serving one\n"
        + "socket per factory with a Vac query in and a `factory_status` JSON out, one client socket that\n"
        + "sends all queries then waits for all replies. " + RUNS + " rounds each after " + WARMUP
        + " warm-up rounds, one after another. \"machines p50\": the same census path with the machines query\n"
        + "(no host facts at all), to show what reading the host costs. Goal: census p50 <= 20 ms at 100\n"
        + "factories and <= 3x raw UDP.\n\n");
    s.append("| factories | census p50 ms | census p99 ms | machines p50 ms | raw UDP p50 ms | raw UDP p99 ms "
        + "| census/UDP (p50) | reply bytes | goal |\n");
    s.append("|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Row r : rows) {
      double ratio = r.censusP50() / r.udpP50();
      String goal = r.factories() == 100
          ? (r.censusP50() <= 20 && ratio <= 3 ? "met" : "missed")
              + " (p50 " + (r.censusP50() <= 20 ? "<=" : ">") + " 20 ms, " + (ratio <= 3 ? "<=" : ">") + " 3x UDP)"
          : "-";
      s.append(String.format(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.3f | %.3f | %.1f | %d | %s |%n",
          r.factories(), r.censusP50(), r.censusP99(), r.machinesP50(), r.udpP50(), r.udpP99(), ratio,
          r.replyBytes(), goal));
    }
    return s.toString();
  }
}
