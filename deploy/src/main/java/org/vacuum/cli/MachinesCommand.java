package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code vacuum machines [factory…]}: every slot of the space's factories, one line per slot in the
 * columns of Vac's {@code vac machines} (reference/vac.md §6), sorted by factory then machine;
 * {@code --json} prints the raw {@code machine_status} objects as an array.
 */
@Command(name = "machines", mixinStandardHelpOptions = true,
    description = {"Ask the factories of the space for their slots (one deadline; whoever answers).",
        "Columns: machine, machinetype, state, processors, model (VM/DC/SC), then: Running: hours,",
        "lifetime CPU efficiency %, recent CPU %; Starting: minutes since creation; Shut down: the",
        "machine's shutdown message (first 19 characters)."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the query ran (factories that did not answer are named on stderr)",
        "1:the node answered an error", "3:the node cannot be reached"})
final class MachinesCommand implements Callable<Integer> {

  @Mixin AdminOptions admin;

  @Parameters(paramLabel = "FACTORY", arity = "0..*",
      description = "Only these factories (full or short names); default all.")
  List<String> only = new ArrayList<>();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws AdminClient.Failure {
    long now = System.currentTimeMillis() / 1000;
    return CensusListing.print(spec, admin, "/api/v1/machines", "machines", only, m -> line(m, now));
  }

  /** Vac's line for one slot; {@code now} is Unix seconds (for a Starting machine's age). */
  static String line(JsonNode m, long now) {
    String name = m.path("machine").asText();
    String shortName = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
    String machinetype = m.path("machinetype").isTextual() ? m.path("machinetype").asText() : "----------";
    String state = m.path("state").asText();
    String head = String.format(Locale.ROOT, "%-15s %-14s %-11s %2d %s", shortName, machinetype, state,
        m.path("num_processors").asInt(1), model(m.path("machine_model").asText("")));
    switch (state) {
      case "Running" -> {
        long started = m.path("started_time").asLong();
        long heartbeat = m.path("heartbeat_time").asLong();
        double cpu = m.path("cpu_seconds").asDouble();
        double efficiency = heartbeat > started ? 100.0 * cpu / (heartbeat - started) : 0;
        return head + String.format(Locale.ROOT, " %.2f hrs %3.0f%% %3.0f%%", (heartbeat - started) / 3600.0,
            efficiency, m.path("cpu_percentage").asDouble());
      }
      case "Starting" -> {
        return head + String.format(Locale.ROOT, " %.2f mins", (now - m.path("created_time").asLong()) / 60.0);
      }
      default -> {
        JsonNode message = m.path("shutdown_message");
        if (message.isTextual()) {
          String text = message.asText();
          return head + " \"" + (text.length() > 19 ? text.substring(0, 19) : text) + "\"";
        }
        return head;
      }
    }
  }

  /** Vac's two-letter model: VM for virtual machines, DC docker, SC singularity. */
  private static String model(String machineModel) {
    return switch (machineModel) {
      case "cernvm3", "cernvm4", "vm-raw" -> "VM";
      case "docker" -> "DC";
      case "singularity" -> "SC";
      default -> "??";
    };
  }
}
