package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vacuum check [TIMEOUT_SECONDS]}: the Nagios/NRPE plugin, Vac's {@code check-vacd}
 * (reference/vac.md §6), for the factory of the node at {@code --url}.
 *
 * <p>What the heartbeats are in vacuum: the <em>factory heartbeat</em> is the node's periodic proof
 * of life to its {@code Factory} entity ({@code vacuum.heartbeat-interval}); the <em>responder
 * heartbeat</em> is when the factory last answered a query, which this check's own question
 * refreshes, so it only fails when the factory does not answer at all. Both come from the
 * factory's {@code factory_status}.
 *
 * <p>CRITICAL (exit 2) when a heartbeat is missing or older than the timeout, when the factory has
 * a factory error (its first line is printed), or when the node or its factory cannot be asked (a
 * check that cannot ask must not say OK); otherwise OK (exit 0) with {@code Factory + responder ok}.
 * The suffix {@code (runningMachines/slots runningProcessors/totalProcessors)} follows when the
 * factory's slots could be read. Nagios reads the one line on stdout.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Nagios check of this node's factory (Vac's check-vacd): CRITICAL when its factory or",
        "responder heartbeat is older than TIMEOUT_SECONDS, when it has a factory error, or when it",
        "cannot be asked; else OK."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:OK: factory and responder heartbeats are fresh and there is no factory error",
        "2:CRITICAL: a stale or missing heartbeat, a factory error, or the node or factory cannot be asked"})
final class CheckCommand implements Callable<Integer> {

  static final int OK = 0;
  static final int CRITICAL = 2;

  @Option(names = "--url", paramLabel = "URL",
      defaultValue = "${env:VACUUM_URL:-http://127.0.0.1:7626}",
      description = "Admin HTTP URL of the factory's node (default: ${DEFAULT-VALUE}; env VACUUM_URL).")
  String url;

  @Parameters(index = "0", arity = "0..1", paramLabel = "TIMEOUT_SECONDS", defaultValue = "600",
      description = "Heartbeats older than this many seconds are CRITICAL (default: ${DEFAULT-VALUE}).")
  double timeoutSeconds;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (timeoutSeconds < 0) {
      out.println("TIMEOUT_SECONDS " + timeoutSeconds + " is negative");
      return CRITICAL;
    }
    AdminClient client = new AdminClient(url);
    JsonNode status;
    String factory;
    try {
      factory = localFactory(client);
      status = client.getJson("/api/v1/factories/" + URLEncoder.encode(factory, StandardCharsets.UTF_8));
    } catch (AdminClient.Failure e) {
      out.println(e.getMessage());
      return CRITICAL;
    }
    String suffix = suffix(client, factory, status);
    double now = System.currentTimeMillis() / 1000.0;
    Optional<String> problem = heartbeat(status, "factory_heartbeat_time", "factory", now)
        .or(() -> heartbeat(status, "responder_heartbeat_time", "responder", now))
        .or(() -> factoryError(status));
    out.println(problem.orElse("Factory + responder ok") + suffix);
    return problem.isPresent() ? CRITICAL : OK;
  }

  /** The factory this node hosts, from its {@code factory=NAME} role. */
  private static String localFactory(AdminClient client) throws AdminClient.Failure {
    JsonNode members = client.getJson("/cluster/members");
    String self = members.path("selfNode").asText();
    for (JsonNode m : members.path("members")) {
      if (!m.path("node").asText().equals(self)) continue;
      for (JsonNode role : m.path("roles")) {
        if (role.asText().startsWith("factory=")) return role.asText().substring("factory=".length());
      }
    }
    throw new AdminClient.Failure(ExitCodes.FAILED, "the node at " + client.url() + " (" + self
        + ") hosts no factory: run the check on a factory's node");
  }

  /** Vac's messages for a missing or stale heartbeat; empty when it is fresh. */
  private Optional<String> heartbeat(JsonNode status, String field, String who, double now) {
    JsonNode time = status.path(field);
    if (!time.isNumber()) {
      return Optional.of("No vacd " + who + " heartbeat file");
    }
    if (time.asDouble() < now - timeoutSeconds) {
      return Optional.of(String.format(Locale.ROOT, "No vacd %s heartbeat in %.2f hours", who,
          (now - time.asDouble()) / 3600));
    }
    return Optional.empty();
  }

  private static Optional<String> factoryError(JsonNode status) {
    JsonNode error = status.path("factory_error");
    if (!error.isTextual()) {
      return Optional.empty();
    }
    String first = error.asText().lines().findFirst().orElse("").strip();
    return Optional.of(first.isEmpty() ? "factory error" : first);
  }

  /** " (runningMachines/slots runningProcessors/totalProcessors)", or nothing when the slots cannot be read. */
  private static String suffix(AdminClient client, String factory, JsonNode status) {
    try {
      JsonNode machines = client.getJson("/api/v1/factories/" + URLEncoder.encode(factory, StandardCharsets.UTF_8)
          + "/machines").path("machines");
      return String.format(Locale.ROOT, " (%d/%d %d/%d)", status.path("running_machines").asInt(), machines.size(),
          status.path("running_processors").asInt(), status.path("max_processors").asInt());
    } catch (AdminClient.Failure e) {
      return "";
    }
  }
}
