package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code vacuum machinetype NAME [factory…]}: one machinetype across the space, one line per
 * factory that reports it, in the columns of Vac's {@code vac machinetype} (reference/vac.md §6);
 * {@code --json} prints the raw {@code machinetype_status} objects as an array.
 */
@Command(name = "machinetype", mixinStandardHelpOptions = true,
    description = {"Ask the factories of the space how one machinetype fares (one deadline; whoever answers).",
        "Columns: factory, running machines, running HS06, time and text of the type's last shutdown",
        "message on that factory ('-' when none; '300 Vac detects fizzle after N seconds' when its last",
        "machine stopped before fizzle_seconds without one)."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the query ran (factories that did not answer are named on stderr)",
        "1:the node answered an error", "3:the node cannot be reached"})
final class MachinetypeCommand implements Callable<Integer> {

  // Vac prints shutdown times with strftime's "%d %b %H:%M:%S", in the local time zone.
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd MMM HH:mm:ss", Locale.ROOT);

  @Mixin AdminOptions admin;

  @Parameters(index = "0", paramLabel = "NAME", description = "The machinetype.")
  String name;

  @Parameters(index = "1..*", paramLabel = "FACTORY", arity = "0..*",
      description = "Only these factories (full or short names); default all.")
  List<String> only = new ArrayList<>();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws AdminClient.Failure {
    ZoneId zone = ZoneId.systemDefault();
    return CensusListing.print(spec, admin, "/api/v1/machinetypes?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8),
        "machinetypes", only, m -> line(m, zone));
  }

  /** Vac's line: short factory, running machines, running HS06, shutdown time, "shutdown message". */
  static String line(JsonNode m, ZoneId zone) {
    String factory = m.path("factory").asText();
    String shortName = factory.contains(".") ? factory.substring(0, factory.indexOf('.')) : factory;
    JsonNode time = m.path("shutdown_time");
    JsonNode message = m.path("shutdown_message");
    return String.format(Locale.ROOT, "%-15s %2d %5.1f %s %s", shortName,
        m.path("running_machines").asInt(), m.path("running_hs06").asDouble(),
        time.isNumber() ? TIME.format(Instant.ofEpochSecond(time.asLong()).atZone(zone)) : "-",
        message.isTextual() ? "\"" + message.asText() + "\"" : "-");
  }
}
