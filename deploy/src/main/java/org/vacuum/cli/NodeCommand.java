package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.vacuum.config.VacuumConfig;
import org.vacuum.config.VacuumConfig.NodeConfig;
import org.vacuum.node.StartupException;
import org.vacuum.node.VacuumNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vacuum node start|status|leave}. */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Start this host's node, or ask a running node about itself.",
    subcommands = {NodeCommand.Start.class, NodeCommand.Status.class, NodeCommand.Leave.class})
final class NodeCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "say start, status or leave");
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = {"Start a node in the foreground: a cluster member with roles factory and control.",
          "Alone it forms a one-node space; with seed nodes it joins them. SIGTERM leaves the cluster gracefully."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:the node ran and stopped", "1:the node could not start; the reason is printed on one line",
          "2:bad usage"})
  static final class Start implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
        description = "HOCON config file (default: $VACUUM_CONFIG, else $VACUUM_HOME/conf/application.conf if present).")
    Path config;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "State directory (default /var/lib/vacuum; vacuum.state-dir).")
    Path stateDir;

    @Option(names = "--seed", paramLabel = "HOST:PORT", description = "A member to join; repeat for more (vacuum.seed-nodes).")
    List<String> seeds = new ArrayList<>();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      PrintWriter out = spec.commandLine().getOut();
      Map<String, Object> overrides = new HashMap<>();
      if (stateDir != null) overrides.put("vacuum.state-dir", stateDir.toAbsolutePath().toString());
      if (!seeds.isEmpty()) overrides.put("vacuum.seed-nodes", seeds);
      NodeConfig nodeConfig;
      try {
        nodeConfig = VacuumConfig.load(configFile(config), overrides);
      } catch (ConfigException e) {
        err.println("vacuum: bad configuration: " + e.getMessage());
        return ExitCodes.FAILED;
      }
      VacuumNode node;
      try {
        node = VacuumNode.start(nodeConfig);
      } catch (StartupException e) {
        err.println("vacuum: cannot start: " + e.getMessage());
        return ExitCodes.FAILED;
      }
      out.printf("vacuum node up: factory %s in space %s, %s journal, admin %s%n",
          node.settings().factoryName(), node.settings().space(),
          node.settings().journal().name().toLowerCase(), node.settings().adminUrl());
      out.flush();
      // On SIGTERM the JVM exits as soon as its shutdown hooks are done, maybe before this thread
      // runs again: a hook of our own says the node stopped, since the JVM waits for every hook.
      Thread stoppedLine = new Thread(() -> {
        try {
          node.whenTerminated().toCompletableFuture().get(2, TimeUnit.MINUTES);
        } catch (Exception e) {
          // stopped or not, the process ends now
        }
        out.println("vacuum node stopped");
        out.flush();
      }, "vacuum-node-stopped");
      Runtime.getRuntime().addShutdownHook(stoppedLine);
      node.whenTerminated().toCompletableFuture().join();
      try {
        Runtime.getRuntime().removeShutdownHook(stoppedLine);
      } catch (IllegalStateException shuttingDown) {
        return ExitCodes.OK; // the hook says it
      }
      out.println("vacuum node stopped");
      out.flush();
      return ExitCodes.OK;
    }

    /** The operator's config file: {@code given}, else $VACUUM_CONFIG, else $VACUUM_HOME/conf/application.conf. */
    static Optional<Path> configFile(Path given) {
      if (given != null) return Optional.of(given);
      String env = System.getenv("VACUUM_CONFIG");
      if (env != null && !env.isBlank()) return Optional.of(Path.of(env));
      String home = System.getenv("VACUUM_HOME");
      if (home != null) {
        Path bundled = Path.of(home, "conf", "application.conf");
        if (Files.isRegularFile(bundled)) return Optional.of(bundled);
      }
      return Optional.empty();
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "This node's member status, roles, the cluster's members and whether it is ready.",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:the node is ready", "1:the node answered but is not ready", "3:the node cannot be reached"})
  static final class Status implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws AdminClient.Failure {
      AdminClient client = admin.client();
      JsonNode members = client.getJson("/cluster/members");
      boolean ready = client.get("/ready").status() == 200;
      PrintWriter out = spec.commandLine().getOut();
      if (admin.json) {
        ObjectNode all = new ObjectMapper().createObjectNode();
        all.put("ready", ready);
        all.set("cluster", members);
        out.println(all.toPrettyString());
      } else {
        String self = members.path("selfNode").asText();
        JsonNode me = null;
        int up = 0;
        for (JsonNode m : members.path("members")) {
          if (m.path("node").asText().equals(self)) me = m;
          if (m.path("status").asText().equals("Up")) up++;
        }
        out.printf("node     %s%n", self);
        out.printf("status   %s%n", me == null ? "not a member" : me.path("status").asText());
        List<String> roles = new ArrayList<>();
        if (me != null) me.path("roles").forEach(r -> roles.add(r.asText()));
        out.printf("roles    %s%n", String.join(", ", roles));
        out.printf("members  %d (%d Up, %d unreachable)%n", members.path("members").size(), up,
            members.path("unreachable").size());
        out.printf("leader   %s%n", members.path("leader").asText("-"));
        out.printf("ready    %s%n", ready ? "yes" : "no");
      }
      return ready ? ExitCodes.OK : ExitCodes.FAILED;
    }
  }

  @Command(name = "leave", mixinStandardHelpOptions = true,
      description = "Make the node at --url leave the cluster gracefully; its shards hand off and the process stops.",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:the node is leaving", "1:the node refused", "3:the node cannot be reached"})
  static final class Leave implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws AdminClient.Failure {
      AdminClient client = admin.client();
      String self = client.getJson("/cluster/members").path("selfNode").asText();
      // Pekko Management takes the address without its scheme as a path segment.
      String address = self.replaceFirst("^pekko://", "");
      AdminClient.Answer answer = client.putForm("/cluster/members/" + address, "operation=Leave");
      if (answer.status() != 200) {
        throw new AdminClient.Failure(ExitCodes.FAILED, "leave refused (" + answer.status() + "): " + AdminClient.errorText(answer));
      }
      spec.commandLine().getOut().println(admin.json ? answer.body() : "leaving: " + self);
      return ExitCodes.OK;
    }
  }
}
