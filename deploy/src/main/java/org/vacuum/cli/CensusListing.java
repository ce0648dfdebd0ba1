package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * How {@code vacuum factories} and {@code vacuum machines} print a census answer, as Vac's {@code
 * vac} does: the replies of the chosen factories one line each (or, with {@code --json}, as one
 * array of the raw replies), and the factories that did not answer named on stderr.
 */
final class CensusListing {

  private CensusListing() {}

  /**
   * @param path the admin API census route, answering {@code {"<field>": [...], "no_reply": [...]}}
   * @param only factories to show (full or short names); empty = all
   */
  static int print(CommandLine.Model.CommandSpec spec, AdminOptions admin, String path, String field,
      List<String> only, Function<JsonNode, String> line) throws AdminClient.Failure {
    JsonNode census = admin.client().getJson(path);
    PrintWriter out = spec.commandLine().getOut();
    ArrayNode chosen = JsonNodeFactory.instance.arrayNode();
    for (JsonNode reply : census.path(field)) {
      if (wanted(only, reply.path("factory").asText())) chosen.add(reply);
    }
    if (admin.json) {
      out.println(chosen.toPrettyString());
    } else {
      for (JsonNode reply : chosen) out.println(line.apply(reply));
    }
    List<String> silent = new ArrayList<>();
    census.path("no_reply").forEach(n -> {
      if (wanted(only, n.asText())) silent.add(n.asText());
    });
    if (!silent.isEmpty()) {
      spec.commandLine().getErr().println("no reply from: " + String.join(" ", silent));
    }
    return ExitCodes.OK;
  }

  /** True if {@code factory} is one of {@code only} (full or short names), or {@code only} is empty. */
  static boolean wanted(List<String> only, String factory) {
    if (only.isEmpty()) return true;
    String shortName = factory.contains(".") ? factory.substring(0, factory.indexOf('.')) : factory;
    return only.stream().anyMatch(o -> o.equalsIgnoreCase(factory) || o.equalsIgnoreCase(shortName));
  }
}
