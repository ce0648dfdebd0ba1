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
 * {@code vacuum factories [factory…]}: the space's census, one line per factory in the columns of
 * Vac's {@code vac factories}; {@code --json} prints the raw {@code factory_status} objects as an
 * array, as Vac's {@code -J} does.
 */
@Command(name = "factories", mixinStandardHelpOptions = true,
    description = {"Ask every factory of the space for its status (one deadline; whoever answers).",
        "Columns: factory, running/max processors, running/max machines, 15-min load, /tmp avail kB,",
        "state-dir avail kB, memory used/total kB, \"version\", 'draining' when it drains, and",
        "'error: ...' while it has a factory error (a failed creation or a rejected vac.conf edit)."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the census ran (factories that did not answer are named on stderr)",
        "1:the node answered an error", "3:the node cannot be reached"})
final class FactoriesCommand implements Callable<Integer> {

  @Mixin AdminOptions admin;

  @Parameters(paramLabel = "FACTORY", arity = "0..*",
      description = "Only these factories (full or short names); default all.")
  List<String> only = new ArrayList<>();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws AdminClient.Failure {
    return CensusListing.print(spec, admin, "/api/v1/factories", "factories", only, FactoriesCommand::line);
  }

  /** Vac's line: short running/total processors, running/total machines, load15, disks, memory, "version". */
  static String line(JsonNode f) {
    String name = f.path("factory").asText();
    String shortName = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
    JsonNode error = f.path("factory_error");
    return String.format(Locale.ROOT, "%-15s %3d/%-3d %3d/%-3d %5.2f %10d %10d %d/%d \"%s\"%s%s",
        shortName,
        f.path("running_processors").asInt(), f.path("max_processors").asInt(),
        f.path("running_machines").asInt(), f.path("max_machines").asInt(),
        f.path("load_average").asDouble(),
        f.path("root_disk_avail_kb").asLong(), f.path("daemon_disk_avail_kb").asLong(),
        f.path("mem_used_kb").asLong(), f.path("mem_total_kb").asLong(),
        f.path("vac_version").asText(),
        f.path("draining").asBoolean() ? " draining" : "",
        error.isTextual() ? " error: " + error.asText() : "");
  }
}
