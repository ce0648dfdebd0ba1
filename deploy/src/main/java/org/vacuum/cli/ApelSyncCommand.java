package org.vacuum.cli;

import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vacuum.accounting.apel.ApelSync;
import org.vacuum.config.VacuumConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vacuum apel-sync [YYYYMM ...]}: Vac's {@code vac apel-sync} (reference/vac.md §5.4). It
 * works on the files of this host's accounting directory, not through a node, so cron can run it
 * whether the node is up or not. A month without records writes nothing (Vac fails there) and is
 * not an error: an idle factory has nothing to sync, and ssmsend must not send a record without a
 * Site.
 */
@Command(name = "apel-sync", mixinStandardHelpOptions = true,
    description = {"Write an APEL sync record (the number of jobs accounted) for each month to apel-outgoing/,"
        + " counted from apel-archive/. Records whose Site or SubmitHost differ from the month's newest record"
        + " are left out and named, to be fixed by hand.",
        "Default month: the one containing now - 24 h (UTC). Run it daily from cron, as Vac does."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done: a sync record was created for each month with records",
        "1:a bad YYYYMM argument, or a bad configuration (nothing written)",
        "2:the archive could not be read or a sync record could not be written (the path and reason are printed)"})
final class ApelSyncCommand implements Callable<Integer> {

  /** A bad month (or configuration): Vac's code 1. */
  static final int BAD_MONTH = 1;
  /** A sync record could not be written: Vac's code 2. */
  static final int WRITE_FAILED = 2;

  @Parameters(paramLabel = "YYYYMM", arity = "0..*", description = "Months to sync (default: the month of now - 24 h, UTC).")
  List<String> months = new ArrayList<>();

  @Option(names = "--accounting-dir", paramLabel = "DIR",
      description = "Directory holding apel-archive/ and apel-outgoing/ (default: vacuum.accounting.dir of the node's config,"
          + " which defaults to vacuum.state-dir).")
  Path accountingDir;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The node's HOCON config file (default: $VACUUM_CONFIG, else $VACUUM_HOME/conf/application.conf if present).")
  Path config;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Instant now = Instant.now();
    List<YearMonth> wanted = new ArrayList<>();
    for (String month : months) {
      try {
        wanted.add(ApelSync.month(month));
      } catch (IllegalArgumentException e) {
        err.println("vacuum apel-sync: " + e.getMessage());
        return BAD_MONTH;
      }
    }
    if (wanted.isEmpty()) {
      wanted.add(ApelSync.defaultMonth(now));
    }
    Path dir = accountingDir;
    if (dir == null) {
      try {
        dir = VacuumConfig.load(NodeCommand.Start.configFile(config), Map.of()).settings().accountingDir();
      } catch (ConfigException e) {
        err.println("vacuum apel-sync: bad configuration: " + e.getMessage());
        return BAD_MONTH;
      }
    }
    dir = dir.toAbsolutePath().normalize();
    for (YearMonth month : wanted) {
      ApelSync.Summary summary;
      try {
        summary = ApelSync.summarise(dir, month);
      } catch (IOException e) {
        err.println("vacuum apel-sync: cannot read " + dir.resolve("apel-archive") + " for " + month + ": " + reason(e));
        return WRITE_FAILED;
      }
      summary.skipped().forEach(line -> err.println("vacuum apel-sync: " + line));
      if (summary.empty()) {
        out.println("No APEL records for " + month + " in " + dir.resolve("apel-archive") + ": no sync record written");
        continue;
      }
      try {
        out.println("Created " + ApelSync.write(dir, ApelSync.record(summary), now));
      } catch (IOException e) {
        err.println("vacuum apel-sync: cannot write the sync record for " + month + " under "
            + dir.resolve("apel-outgoing") + ": " + reason(e));
        return WRITE_FAILED;
      }
      out.flush();
    }
    return ExitCodes.OK;
  }

  private static String reason(IOException e) {
    if (e instanceof FileSystemException f) {
      String why = f.getReason() != null ? f.getReason() : e.getClass().getSimpleName().replace("Exception", "");
      return f.getFile() + ": " + why;
    }
    return e.getMessage();
  }
}
