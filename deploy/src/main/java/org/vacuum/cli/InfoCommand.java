package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The VC3 entities on the command line: {@code vacuum user|project|resource|nodeinfo|nodeset|
 * template|environment|allocation|cluster create|list|show}, plus {@code allocation validate} and
 * {@code cluster terminate|relaunch|resize}, all over the admin API's {@code /api/v1/<kind>} routes.
 * {@code --json} prints the node's JSON as it is.
 */
final class InfoCommand {

  /** One kind of entity: its CLI word, its API path, and the extra actions it has. */
  record Kind(String word, String path, List<String> actions) {}

  static final List<Kind> KINDS = List.of(
      new Kind("user", "users", List.of()),
      new Kind("project", "projects", List.of()),
      new Kind("resource", "resources", List.of()),
      new Kind("nodeinfo", "nodeinfo", List.of()),
      new Kind("nodeset", "nodesets", List.of()),
      new Kind("template", "templates", List.of()),
      new Kind("environment", "environments", List.of()),
      new Kind("allocation", "allocations", List.of("validate")),
      new Kind("cluster", "clusters", List.of("terminate", "relaunch")));

  private static final ObjectMapper JSON = new ObjectMapper();

  private InfoCommand() {}

  /** Adds one subcommand per kind to {@code vacuum}. */
  static void addTo(CommandLine vacuum) {
    for (Kind kind : KINDS) {
      CommandLine group = new CommandLine(new Group(kind));
      group.addSubcommand("create", new CommandLine(new Create(kind)));
      group.addSubcommand("list", new CommandLine(new ListAll(kind)));
      group.addSubcommand("show", new CommandLine(new Show(kind)));
      for (String action : kind.actions()) {
        group.addSubcommand(action, new CommandLine(new Action(kind, action)));
      }
      if (kind.word().equals("cluster")) {
        group.addSubcommand("resize", new CommandLine(new Resize()));
      }
      vacuum.addSubcommand(kind.word(), group);
    }
  }

  @Command(mixinStandardHelpOptions = true, description = "Create, list and show entities of this kind.")
  static final class Group implements Runnable {
    private final Kind kind;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    Group(Kind kind) {
      this.kind = kind;
    }

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "a subcommand is needed (try 'vacuum " + kind.word() + " --help')");
    }
  }

  @Command(mixinStandardHelpOptions = true, description = {
      "Create one. Attributes as --set NAME=VALUE (VALUE is JSON when it parses as JSON:",
      "numbers, true/false, [\"a\",\"b\"], {\"K\":\"V\"}; else a string), or --file a JSON object."})
  static final class Create implements Callable<Integer> {
    private final Kind kind;
    @Mixin AdminOptions admin;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @Option(names = "--set", paramLabel = "NAME=VALUE") List<String> sets = new ArrayList<>();
    @Option(names = "--file", paramLabel = "FILE", description = "A JSON object of attributes.") Path file;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    Create(Kind kind) {
      this.kind = kind;
    }

    @Override
    public Integer call() throws AdminClient.Failure {
      ObjectNode body = attributes(file, sets, spec);
      body.put("name", name);
      JsonNode created = admin.client().expect(admin.client().sendJson("POST", "/api/v1/" + kind.path(), body),
          "creating " + kind.word() + " " + name, 201);
      print(spec.commandLine().getOut(), admin.json, created);
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List them: name, state, reason.")
  static final class ListAll implements Callable<Integer> {
    private final Kind kind;
    @Mixin AdminOptions admin;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    ListAll(Kind kind) {
      this.kind = kind;
    }

    @Override
    public Integer call() throws AdminClient.Failure {
      JsonNode all = admin.client().getJson("/api/v1/" + kind.path()).path(kind.path());
      PrintWriter out = spec.commandLine().getOut();
      if (admin.json) {
        out.println(all.toPrettyString());
        return ExitCodes.OK;
      }
      for (JsonNode e : all) {
        out.println(String.format(Locale.ROOT, "%-24s %-20s %s", e.path("name").asText(),
            e.path("state").asText("-"), e.path("state_reason").asText("")).stripTrailing());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one, every attribute.")
  static final class Show implements Callable<Integer> {
    private final Kind kind;
    @Mixin AdminOptions admin;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    Show(Kind kind) {
      this.kind = kind;
    }

    @Override
    public Integer call() throws AdminClient.Failure {
      JsonNode one = admin.client().expect(admin.client().get("/api/v1/" + kind.path() + "/" + encode(name)),
          kind.word() + " " + name, 200);
      print(spec.commandLine().getOut(), admin.json, one);
      return ExitCodes.OK;
    }
  }

  /** An action a user asks for by setting the entity's {@code action} attribute, as in VC3. */
  @Command(mixinStandardHelpOptions = true, description = "Ask for this action (sets the entity's action).")
  static final class Action implements Callable<Integer> {
    private final Kind kind;
    private final String action;
    @Mixin AdminOptions admin;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    Action(Kind kind, String action) {
      this.kind = kind;
      this.action = action;
    }

    @Override
    public Integer call() throws AdminClient.Failure {
      ObjectNode body = JSON.createObjectNode().put("action", action);
      JsonNode updated = admin.client().expect(
          admin.client().sendJson("PATCH", "/api/v1/" + kind.path() + "/" + encode(name), body),
          action + " " + kind.word() + " " + name, 200);
      print(spec.commandLine().getOut(), admin.json, updated);
      return ExitCodes.OK;
    }
  }

  /**
   * {@code vacuum cluster resize NAME N}: sets the {@code node_number} of the cluster's worker
   * nodeset (its template's only one that is not the head node, or the one named by {@code
   * --nodeset}); the cluster's pilot queues follow at once.
   */
  @Command(mixinStandardHelpOptions = true, description = "Set how many workers the cluster has.")
  static final class Resize implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @Parameters(index = "1", paramLabel = "N") int workers;
    @Option(names = "--nodeset", paramLabel = "NODESET", description = "The worker nodeset, if the template has several.")
    String nodeset;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws AdminClient.Failure {
      if (workers < 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "N must be 0 or more, not " + workers);
      }
      AdminClient client = admin.client();
      JsonNode cluster = client.expect(client.get("/api/v1/clusters/" + encode(name)), "cluster " + name, 200);
      String template = cluster.path("cluster").asText(null);
      if (template == null) {
        throw new AdminClient.Failure(ExitCodes.FAILED, "cluster " + name + " has no template (attribute cluster)");
      }
      String target = nodeset;
      if (target == null) {
        List<String> candidates = new ArrayList<>();
        for (JsonNode ns : client.expect(client.get("/api/v1/templates/" + encode(template)), "template " + template,
            200).path("nodesets")) {
          JsonNode n = client.expect(client.get("/api/v1/nodesets/" + encode(ns.asText())), "nodeset " + ns.asText(), 200);
          if (!"head-node".equals(n.path("app_role").asText())) candidates.add(ns.asText());
        }
        if (candidates.size() != 1) {
          throw new AdminClient.Failure(ExitCodes.FAILED, "cluster " + name + "'s template " + template + " has worker"
              + " nodesets " + candidates + ": name one with --nodeset");
        }
        target = candidates.get(0);
      }
      JsonNode updated = client.expect(client.sendJson("PATCH", "/api/v1/nodesets/" + encode(target),
          JSON.createObjectNode().put("node_number", workers)), "resizing nodeset " + target, 200);
      print(spec.commandLine().getOut(), admin.json, updated);
      return ExitCodes.OK;
    }
  }

  /** The attributes of {@code --file} and {@code --set}, later ones winning. */
  static ObjectNode attributes(Path file, List<String> sets, CommandLine.Model.CommandSpec spec) {
    ObjectNode body = JSON.createObjectNode();
    if (file != null) {
      try {
        JsonNode read = JSON.readTree(Files.readString(file));
        if (!read.isObject()) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--file " + file + " is not a JSON object");
        }
        body.setAll((ObjectNode) read);
      } catch (IOException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--file " + file + ": " + e.getMessage());
      }
    }
    for (String set : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--set " + set + " is not NAME=VALUE");
      }
      body.set(set.substring(0, eq), value(set.substring(eq + 1)));
    }
    return body;
  }

  /** A --set value: JSON when it parses as a number, boolean, array or object; else the string. */
  static JsonNode value(String text) {
    String t = text.strip();
    if (t.equals("true") || t.equals("false") || t.startsWith("[") || t.startsWith("{") || t.matches("-?\\d+(\\.\\d+)?")) {
      try {
        return JSON.readTree(t);
      } catch (IOException e) {
        // not JSON after all: the string as written
      }
    }
    return JSON.getNodeFactory().textNode(text);
  }

  private static void print(PrintWriter out, boolean json, JsonNode entity) {
    if (json) {
      out.println(entity.toPrettyString());
      return;
    }
    entity.fields().forEachRemaining(f -> out.println(String.format(Locale.ROOT, "%-20s %s", f.getKey(),
        f.getValue().isValueNode() ? f.getValue().asText() : f.getValue().toString())));
  }

  private static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }
}
