package org.vacuum.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.vacuum.accounting.audit.AuditLine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vacuum audit}: the audit trail, every event every entity persisted, in journal order, read
 * from a node's {@code GET /api/v1/audit} and printed as it arrives (a table, or with {@code --json}
 * the node's JSON lines unchanged). {@code vacuum audit rebuild-accounting YYYYMM --out DIR}
 * regenerates a month's APEL records from the events.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    subcommands = AuditCommand.RebuildAccounting.class,
    description = {"Print every persisted event (Factory, Slot, VC3 entities, ...) in journal order:",
        "time (UTC), entity TYPE:ID, event, fields (shortened; --json has them all, one JSON object a line)."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the trail was printed", "1:the node answered an error (a bad --entity/--since/--until)",
        "3:the node cannot be reached"})
final class AuditCommand implements Callable<Integer> {

  @Mixin AdminOptions admin;

  @Option(names = "--entity", paramLabel = "TYPE[:ID]",
      description = "Only this entity (Slot:f1-00.example.com) or every entity of this type (Slot).")
  String entity;

  @Option(names = "--since", paramLabel = "T", description = "Only events written at or after T (ISO-8601, 2026-11-21T12:00:00Z).")
  String since;

  @Option(names = "--until", paramLabel = "T", description = "Only events written before T (ISO-8601).")
  String until;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws AdminClient.Failure {
    List<String> query = new ArrayList<>();
    add(query, "entity", entity);
    add(query, "since", since);
    add(query, "until", until);
    PrintWriter out = spec.commandLine().getOut();
    if (!admin.json) {
      out.println(AuditLine.header());
    }
    admin.client().streamLines("/api/v1/audit" + (query.isEmpty() ? "" : "?" + String.join("&", query)), line -> {
      out.println(admin.json ? line : AuditLine.parse(line).row());
      out.flush();
    });
    return ExitCodes.OK;
  }

  private static void add(List<String> query, String name, String value) {
    if (value != null && !value.isBlank()) {
      query.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
  }

  /**
   * {@code vacuum audit rebuild-accounting YYYYMM --out DIR}: the APEL individual records of the
   * node's factory's machines that finished in that month, regenerated from the journal, one file
   * per machine named by its uuid. apel-archive's file names are times of writing, which the events
   * do not hold, so compare by content (e.g. {@code cat apel-archive/YYYYMM* /* | sort} against
   * {@code cat DIR/* | sort}).
   */
  @Command(name = "rebuild-accounting", mixinStandardHelpOptions = true,
      description = {"Regenerate a month's APEL individual records from the events, one file per machine",
          "(DIR/<machine uuid>), to compare by content with apel-archive. Ask the factory's own node."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:the records were written", "1:the node answered an error, or DIR cannot be written",
          "2:bad usage", "3:the node cannot be reached"})
  static final class RebuildAccounting implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin AdminOptions admin;

    @Parameters(paramLabel = "YYYYMM", description = "The month (UTC) in which the machines finished.")
    String month;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Directory for the records (created).")
    Path out;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws AdminClient.Failure {
      if (!month.matches("\\d{6}")) {
        throw new CommandLine.ParameterException(spec.commandLine(), "month '" + month + "' is not YYYYMM (e.g. 202611)");
      }
      try {
        Files.createDirectories(out);
      } catch (IOException e) {
        throw new AdminClient.Failure(ExitCodes.FAILED, "--out " + out + " cannot be created: " + e.getMessage());
      }
      AtomicInteger written = new AtomicInteger();
      List<String> failed = new ArrayList<>();
      admin.client().streamLines("/api/v1/audit/accounting/" + month, line -> {
        try {
          JsonNode record = JSON.readTree(line);
          String uuid = record.path("machine_uuid").asText();
          Files.writeString(out.resolve(uuid), record.path("record").asText(), StandardCharsets.UTF_8);
          written.incrementAndGet();
          if (admin.json) spec.commandLine().getOut().println(line);
        } catch (IOException e) {
          failed.add(e.getMessage());
        }
      });
      if (!failed.isEmpty()) {
        throw new AdminClient.Failure(ExitCodes.FAILED, "writing records in " + out + " failed: " + failed.get(0));
      }
      if (!admin.json) {
        spec.commandLine().getOut().println(written.get() + " record(s) for " + month + " written to " + out);
      }
      return ExitCodes.OK;
    }
  }
}
