package org.vacuum.config.vac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.config.vac.PipeTestSupport.ManualClock;

/** Pipe expansion and override rules (reference/vac.md §1.4, §7.3), with pipes read from file: URLs. */
class PipeExpansionTest {

  private static final String SETTINGS = "[settings]\nvac_space = vac01.example.com\n";

  @TempDir Path dir;

  private Path vacConf;
  private Path state;
  private Path pipeFile;
  private String url;

  @BeforeEach
  void setUp() throws IOException {
    Files.createDirectories(dir.resolve("etc/vac.d"));
    vacConf = dir.resolve("etc/vac.conf");
    state = dir.resolve("var/lib/vac");
    pipeFile = dir.resolve("lhcb.pipe");
    url = pipeFile.toUri().toString();
  }

  private VacConf read(String pipe, String conf) throws Exception {
    Files.writeString(pipeFile, pipe);
    Files.writeString(vacConf, SETTINGS + conf.replace("URL", url));
    Host host = new Host("f1.example.com", 8, state, vg -> false, u -> OptionalLong.of(1000));
    return VacConfReader.read(new VacConfPaths(dir.resolve("etc/vac.d"), vacConf, dir.resolve("run/vac.conf")), host,
        VacuumPipes.fetching(state, PipeFetcher.standard(), new ManualClock()));
  }

  private static final String PIPE = """
      {"cache_seconds": 3600, "machinetypes": [
        {"suffix": "prod", "target_share": 1, "machine_model": "vm-raw", "root_image": "https://vo.example/img.qcow2",
         "user_data": "https://vo.example/user_data", "max_processors": 8, "backoff_seconds": 600,
         "fizzle_seconds": 300, "user_data_option_queue": "prod"},
        {"suffix": "test", "target_share": 3.0, "root_image": "cernvm3.iso", "user_data": "user_data"},
        {"suffix": "idle", "root_image": "cernvm3.iso"},
        {"target_share": 5, "root_image": "lost.iso"}
      ]}""";

  @Test
  void entriesBecomePrefixSuffixWithTheSectionShareSplitByTheirShares() throws Exception {
    VacConf conf = read(PIPE, "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\ntarget_share = 8\n");
    assertEquals(Set.of("lhcb-prod", "lhcb-test", "lhcb-idle"), conf.machinetypes().keySet());
    // 8 × 1/9 and 8 × 3/9: the entry without a suffix is skipped but its share counts in the sum, as in Vac.
    assertEquals(8.0 * 1 / 9, conf.machinetypes().get("lhcb-prod").targetShare(), 1e-12);
    assertEquals(8.0 * 3 / 9, conf.machinetypes().get("lhcb-test").targetShare(), 1e-12);
    assertEquals(0.0, conf.machinetypes().get("lhcb-idle").targetShare());
    Machinetype prod = conf.machinetypes().get("lhcb-prod");
    assertEquals(MachineModel.VM_RAW, prod.machineModel());
    assertEquals(8, prod.maxProcessors());
    assertEquals(600, prod.backoffSeconds());
    assertEquals(300, prod.fizzleSeconds());
    assertEquals(Map.of("queue", "prod"), prod.userDataOptions());
    assertEquals("lhcb", prod.pipePrefix());
    assertEquals(state.resolve("machinetypes/lhcb"), prod.machinetypePath());
    assertEquals(state.resolve("machinetypes/lhcb/files/cernvm3.iso"),
        ((Machinetype.LocalFile) conf.machinetypes().get("lhcb-test").resolve("cernvm3.iso")).path());
    assertTrue(conf.warnings().stream().anyMatch(w -> w.contains("pipe " + url + " machinetypes[3] has no suffix")),
        conf.warnings().toString());
  }

  @Test
  void allSharesAreZeroWhenThePipesSharesSumToZero() throws Exception {
    VacConf conf = read("""
        {"machinetypes": [{"suffix": "a"}, {"suffix": "b", "target_share": 0}]}""",
        "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\ntarget_share = 8\n");
    assertEquals(0.0, conf.machinetypes().get("lhcb-a").targetShare());
    assertEquals(0.0, conf.machinetypes().get("lhcb-b").targetShare());
  }

  @ParameterizedTest(name = "{0}: {4}")
  @CsvSource(delimiter = '|', value = {
      // option          | pipe | [vacuum_pipe] | [machinetype lhcb-prod] | expected
      "fizzle_seconds    | 300  |               |                         | 300",
      "fizzle_seconds    | 300  | 400           |                         | 400",
      "fizzle_seconds    | 300  | 400           | 500                     | 500",
      "fizzle_seconds    | 300  |               | 500                     | 500",
      "fizzle_seconds    |      | 400           |                         | 400",
      "fizzle_seconds    |      |               |                         | 600",
      "target_share      | 1    | 2             |                         | 2.0",
      "target_share      | 1    |               | 7                       | 7.0",
      "machine_model     | docker |             |                         | docker",
      "machine_model     | docker | vm-raw      |                         | vm-raw",
      "vm_model          |      |               | vm-raw                  | vm-raw",
  })
  void theSitesMachinetypeWinsOverItsPipeSectionWhichWinsOverThePipe(String option, String pipe, String section,
      String local, String expected) throws Exception {
    String pipeOption = pipe == null ? "" : ", \"" + option + "\": \"" + pipe + "\"";
    if (option.equals("vm_model")) {
      pipeOption = ", \"machine_model\": \"docker\"";
    }
    VacConf conf = read("{\"machinetypes\": [{\"suffix\": \"prod\", \"target_share\": 1" + pipeOption + "}]}",
        "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\ntarget_share = 6\n"
            + (section == null ? "" : option + " = " + section + "\n")
            + "[machinetype lhcb-prod]\n" + (local == null ? "" : option + " = " + local + "\n"));
    Machinetype m = conf.machinetypes().get("lhcb-prod");
    String got = switch (option) {
      case "fizzle_seconds" -> Integer.toString(m.fizzleSeconds());
      case "target_share" -> Double.toString(m.targetShare());
      default -> m.machineModel().vacName();
    };
    assertEquals(expected, got);
  }

  @Test
  void aSiteSectionNoPipeGivesStaysAnOrdinaryMachinetype() throws Exception {
    VacConf conf = read("{\"machinetypes\": [{\"suffix\": \"prod\"}]}",
        "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n[machinetype lhcb-old]\ntarget_share = 2\n");
    assertNull(conf.machinetypes().get("lhcb-old").pipePrefix());
    assertEquals(state.resolve("machinetypes/lhcb-old"), conf.machinetypes().get("lhcb-old").machinetypePath());
    assertEquals("lhcb", conf.machinetypes().get("lhcb-prod").pipePrefix());
  }

  @Test
  void optionsAPipeMayNotSetAreIgnoredWithAWarning() throws Exception {
    VacConf conf = read("""
        {"machinetypes": [{"suffix": "prod", "machinegroup": "vo", "machinetype_path": "/etc",
          "machines_dir_days": 99}]}""", "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n");
    Machinetype m = conf.machinetypes().get("lhcb-prod");
    assertEquals("lhcb-prod", m.machinegroup());
    assertEquals(state.resolve("machinetypes/lhcb"), m.machinetypePath());
    assertEquals(3.0, m.machinesDirDays());
    assertTrue(conf.warnings().contains(vacConf + ":3: [vacuum_pipe lhcb] pipe " + url
        + " machinetypes[0] (lhcb-prod): machinetype_path is not an option a pipe may set; ignored"),
        conf.warnings().toString());
  }

  @ParameterizedTest(name = "{0} = {1}: refused {2}")
  @CsvSource(delimiter = '|', value = {
      "root_image              | https://vo.example/img.iso           | false",
      "root_image              | docker://registry.example/vo/img     | false",
      "root_image              | /cvmfs/vo.example/images/img.iso     | false",
      "root_image              | img.iso                              | false",
      "root_image              | /etc/shadow                          | true",
      "root_image              | /cvmfs/../etc/shadow                 | true",
      "root_image              | https://vo.example/a/../b.iso        | true",
      "root_image              | sub/img.iso                          | true",
      "root_image              | ..                                   | true",
      "user_data               | https://vo.example/user_data         | false",
      "user_data               | user_data                            | false",
      "user_data               | /etc/passwd                          | true",
      "user_data               | /cvmfs/vo.example/user_data          | true",
      "user_data_file_hostcert | hostcert.pem                         | false",
      "user_data_file_hostcert | /etc/grid-security/hostkey.pem       | true",
      "user_data_file_hostcert | ../x509key.pem                       | true",
      "heartbeat_file          | heartbeat                            | false",
      "heartbeat_file          | ../../../etc/cron.d/x                | true",
      "cvmfs_repositories      | lhcb.cern.ch grid.cern.ch            | false",
      "cvmfs_repositories      | lhcb.cern.ch/../..                   | true",
  })
  void pathRulesKeepAPipeInsideItsFilesDirectory(String option, String value, boolean refused) throws Exception {
    String model = value.startsWith("docker://") ? ", \"machine_model\": \"docker\"" : "";
    VacConf conf = read("{\"machinetypes\": [{\"suffix\": \"prod\", \"" + option + "\": \"" + value + "\"" + model
        + "}, {\"suffix\": \"other\"}]}", "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n");
    assertEquals(!refused, conf.machinetypes().containsKey("lhcb-prod"));
    assertTrue(conf.machinetypes().containsKey("lhcb-other"), "the pipe's other entries stay");
    if (refused) {
      assertTrue(conf.warnings().stream().anyMatch(w -> w.startsWith(vacConf + ":3: [vacuum_pipe lhcb] pipe " + url
          + " machinetypes[0] (lhcb-prod): " + option + " '" + value + "' ") && w.contains("the machinetype is refused")),
          conf.warnings().toString());
    }
  }

  @Test
  void aSiteOverrideRescuesAValueThePipeMayNotGive() throws Exception {
    VacConf conf = read("{\"machinetypes\": [{\"suffix\": \"prod\", \"root_image\": \"/etc/shadow\"}]}",
        "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n[machinetype lhcb-prod]\nroot_image = /var/lib/images/lhcb.iso\n");
    assertEquals("/var/lib/images/lhcb.iso", conf.machinetypes().get("lhcb-prod").rootImage());
  }

  @Test
  void aBadValueFromThePipeDropsOnlyItsMachinetypeButABadLocalValueIsStillAnError() throws Exception {
    VacConf conf = read("{\"machinetypes\": [{\"suffix\": \"prod\", \"max_processors\": \"lots\"}, {\"suffix\": \"ok\"}]}",
        "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n[machinetype atlas]\ntarget_share = 1\n");
    assertEquals(Set.of("atlas", "lhcb-ok"), conf.machinetypes().keySet());
    assertTrue(conf.warnings().contains(vacConf + ":3: [vacuum_pipe lhcb] pipe " + url + " machinetypes[0] (lhcb-prod):"
        + " max_processors 'lots' is not a whole number; machinetype lhcb-prod is not made (set the option in"
        + " [machinetype lhcb-prod] to override the pipe)"), conf.warnings().toString());

    VacConfException e = assertThrows(VacConfException.class, () -> read("{\"machinetypes\": [{\"suffix\": \"prod\"}]}",
        "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n[machinetype lhcb-prod]\nmax_processors = lots\n"));
    assertEquals(vacConf + ":6: max_processors 'lots' is not a whole number", e.getMessage());
  }

  @Test
  void jsonValuesBecomeWhatTheMachinetypeParserReads() throws Exception {
    VacConf conf = read("""
        {"machinetypes": [{"suffix": "prod", "max_processors": 4.0, "user_data_proxy": true,
          "cvmfs_repositories": ["lhcb.cern.ch", "grid.cern.ch"], "tmp_binds": ["/scratch", "/tmp"],
          "machine_model": "docker", "accounting_fqan": null}]}""", "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n");
    Machinetype m = conf.machinetypes().get("lhcb-prod");
    assertEquals(4, m.maxProcessors());
    assertTrue(m.userDataProxy());
    assertEquals(Set.of("lhcb.cern.ch", "grid.cern.ch"), m.cvmfsRepositories());
    assertEquals(List.of("/scratch", "/tmp"), m.tmpBinds());
    assertNull(m.accountingFqan());
  }

  @Test
  void badSuffixesAndRepeatsAreSkippedAndPrefixCollisionsKeepTheFirstPipe() throws Exception {
    Path other = dir.resolve("other.pipe");
    Files.writeString(other, "{\"machinetypes\": [{\"suffix\": \"prod\"}]}");
    VacConf conf = read("{\"machinetypes\": [{\"suffix\": \"Prod!\"}, {\"suffix\": \"b-prod\"}, {\"suffix\": \"b-prod\"}]}",
        "[vacuum_pipe a]\nvacuum_pipe_url = URL\n[vacuum_pipe a-b]\nvacuum_pipe_url = " + other.toUri() + "\n");
    assertEquals(Set.of("a-b-prod"), conf.machinetypes().keySet());
    assertEquals("a", conf.machinetypes().get("a-b-prod").pipePrefix());
    String all = String.join("\n", conf.warnings());
    assertTrue(all.contains("suffix 'Prod!' makes a machinetype name with characters other than a-z 0-9 and -"), all);
    assertTrue(all.contains("suffix 'b-prod' is used by an earlier entry of the same pipe"), all);
    assertTrue(all.contains("gives machinetype a-b-prod, which [vacuum_pipe a] already gives"), all);
  }

  @Test
  void thePipesContentCountsInTheFingerprint() throws Exception {
    String conf = "[vacuum_pipe lhcb]\nvacuum_pipe_url = URL\n";
    String one = read("{\"machinetypes\": [{\"suffix\": \"prod\", \"fizzle_seconds\": 300}]}", conf).fingerprint();
    Files.delete(state.resolve("pipescache/lhcb.pipe"));
    assertEquals(one, read("{\"machinetypes\": [ {\"fizzle_seconds\": 300, \"suffix\": \"prod\"} ]}", conf).fingerprint(),
        "layout and key order do not count");
    Files.delete(state.resolve("pipescache/lhcb.pipe"));
    assertNotEquals(one, read("{\"machinetypes\": [{\"suffix\": \"prod\", \"fizzle_seconds\": 301}]}", conf).fingerprint());
    assertFalse(one.isEmpty());
  }
}
