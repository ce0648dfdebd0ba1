package org.vacuum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vacuum apel-sync} on a real accounting directory: its output, files and exit codes. */
class ApelSyncCommandTest {

  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  static Run vacuum(String... args) {
    CommandLine cl = VacuumCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private void record(String day, String name, String site) throws IOException {
    Path file = Files.createDirectories(dir.resolve("apel-archive").resolve(day)).resolve(name);
    Files.writeString(file, "APEL-individual-job-message: v0.3\nSite: " + site
        + "\nSubmitHost: vac01.example.com/vac-f1.example.com\nLocalJobId: " + name + "\n%%\n");
  }

  private List<Path> outgoing() throws IOException {
    if (!Files.isDirectory(dir.resolve("apel-outgoing"))) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir.resolve("apel-outgoing"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void createsOneSyncRecordPerMonthAndSaysWhere() throws IOException {
    record("20231102", "10000000000000", "UKI-EXAMPLE");
    record("20231130", "23595900000000", "UKI-EXAMPLE");
    record("20231201", "00000100000000", "UKI-EXAMPLE");
    Run run = vacuum("apel-sync", "--accounting-dir", dir.toString(), "202311", "202312");
    assertEquals(0, run.exit(), run.err());
    List<String> lines = run.out().lines().toList();
    assertEquals(2, lines.size(), run.out());
    Path november = Path.of(lines.get(0).substring("Created ".length()));
    assertTrue(lines.get(0).matches("Created " + dir + "/apel-outgoing/\\d{8}/\\d{14}"), lines.get(0));
    assertEquals("""
        APEL-sync-message: v0.1
        Site: UKI-EXAMPLE
        SubmitHost: vac01.example.com/vac-f1.example.com
        NumberOfJobs: 2
        Month: 11
        Year: 2023
        %%
        """, Files.readString(november));
    Path december = Path.of(lines.get(1).substring("Created ".length()));
    assertTrue(Files.readString(december).contains("\nNumberOfJobs: 1\nMonth: 12\nYear: 2023\n"));
  }

  @Test
  void aRecordWithAnotherSiteIsLeftOutAndNamed() throws IOException {
    record("20231102", "10000000000000", "example.com");
    record("20231103", "10000000000000", "UKI-EXAMPLE");
    Run run = vacuum("apel-sync", "--accounting-dir", dir.toString(), "202311");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("skipped " + dir + "/apel-archive/20231102/10000000000000: Site is 'example.com'"),
        run.err());
    assertTrue(run.err().contains("please fix"), run.err());
    assertTrue(Files.readString(outgoing().get(0)).contains("\nNumberOfJobs: 1\n"));
  }

  @Test
  void aBadMonthIsNamedAndNothingIsWritten() throws IOException {
    record("20231102", "10000000000000", "UKI-EXAMPLE");
    Run run = vacuum("apel-sync", "--accounting-dir", dir.toString(), "202311", "2023-12");
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("'2023-12' is not a month"), run.err());
    assertEquals(List.of(), outgoing());
  }

  @Test
  void aMonthWithoutRecordsSaysSoAndWritesNothing() throws IOException {
    Run run = vacuum("apel-sync", "--accounting-dir", dir.toString(), "202311");
    assertEquals(0, run.exit(), run.err());
    assertEquals("No APEL records for 2023-11 in " + dir + "/apel-archive: no sync record written\n", run.out());
    assertEquals(List.of(), outgoing());
  }

  @Test
  void aSyncRecordThatCannotBeWrittenNamesThePathAndExits2() throws IOException {
    record("20231102", "10000000000000", "UKI-EXAMPLE");
    // apel-outgoing is a file: the date directory cannot be made (a read-only mode would not stop root)
    Files.writeString(dir.resolve("apel-outgoing"), "");
    Run run = vacuum("apel-sync", "--accounting-dir", dir.toString(), "202311");
    assertEquals(2, run.exit(), run.out());
    assertTrue(run.err().contains("cannot write the sync record for 2023-11 under " + dir + "/apel-outgoing: "), run.err());
    assertTrue(run.err().contains(dir + "/apel-outgoing exists and is not a directory"), run.err());
  }

  @Test
  void withoutAccountingDirTheNodesConfigurationSaysWhere() throws IOException {
    record("20231102", "10000000000000", "UKI-EXAMPLE");
    Path conf = Files.writeString(dir.resolve("vacuum.conf"),
        "vacuum { factory-name = \"f1.example.com\", state-dir = \"" + dir + "\" }\n");
    Run run = vacuum("apel-sync", "--config", conf.toString(), "202311");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().startsWith("Created " + dir + "/apel-outgoing/"), run.out());

    Run broken = vacuum("apel-sync", "--config", dir.resolve("missing.conf").toString(), "202311");
    assertEquals(1, broken.exit());
    assertTrue(broken.err().contains("bad configuration") && broken.err().contains("missing.conf"), broken.err());
  }
}
