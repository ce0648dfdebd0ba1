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
import java.util.HashMap;
import java.util.HashSet;
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
import org.vacuum.config.vac.Machinetype.LocalFile;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.config.vac.Machinetype.Url;

class VacConfReaderTest {

  private static final String SETTINGS = "[settings]\nvac_space = vac01.example.com\n";

  @TempDir Path dir;

  private Path vacD;
  private Path vacConf;
  private Path runConf;
  private Path state;
  private final Set<String> volumeGroups = new HashSet<>();
  private final Map<String, Long> users = new HashMap<>(Map.of("root", 0L, "vacsing", 990L));
  private String factoryName = "f1.example.com";
  private int processors = 8;

  @BeforeEach
  void setUp() throws IOException {
    vacD = Files.createDirectories(dir.resolve("etc/vac.d"));
    vacConf = dir.resolve("etc/vac.conf");
    runConf = Files.createDirectories(dir.resolve("run")).resolve("vac.conf");
    state = dir.resolve("var/lib/vac");
  }

  private VacConfPaths paths() {
    return new VacConfPaths(vacD, vacConf, runConf);
  }

  private Host host() {
    return new Host(factoryName, processors, state, volumeGroups::contains,
        user -> users.containsKey(user) ? OptionalLong.of(users.get(user)) : OptionalLong.empty());
  }

  private VacConf read() throws VacConfException {
    return VacConfReader.read(paths(), host());
  }

  private VacConf read(String vacConfText) throws Exception {
    Files.writeString(vacConf, vacConfText);
    return read();
  }

  /** Writes /etc/vac.conf and returns the error, which must start with "vac.conf:LINE: ". */
  private String error(String vacConfText, int line) throws Exception {
    Files.writeString(vacConf, vacConfText);
    VacConfException e = assertThrows(VacConfException.class, this::read);
    String prefix = vacConf + ":" + line + ": ";
    assertTrue(e.getMessage().startsWith(prefix), () -> "expected '" + prefix + "...' but got: " + e.getMessage());
    return e.getMessage().substring(prefix.length());
  }

  // ---------------------------------------------------------------------------------------------
  // A site's files, shaped like Vac's example.vac.conf and its admin guide

  @Test
  void aSitesDropInsMainFileAndRunFileMergeInVacsOrder() throws Exception {
    Files.writeString(vacD.resolve("10-site.conf"), """
        #
        # Site-wide settings for the space, pushed by Puppet to every factory.
        #
        [settings]
        # The space: a DNS-like name, also the virtual CE name.
        vac_space = vac01.example.com
        gocdb_sitename = UKI-EXAMPLE

        # Every factory in the space, including this one.
        factories = f1 f2.example.com
            F3
            .
        description: Example space ; the part after ' ;' is a comment
        vacmon_hostport = vacmon.gridpp.ac.uk:8884
        user_data_option_cvmfs_proxy = http://squid.example.com:3128
        machinefeatures_option_site_note = hello
        mb_per_cpu = 4096
        hs06_per_cpu = 10.5
        cpu_per_machine = 8
        """);
    Files.writeString(vacD.resolve("20-lhcb.conf"), """
        [machinetype lhcb]
        target_share = 5
        vm_model = cernvm3
        root_image = https://lhcb-portal-dirac.cern.ch/images/cernvm3.iso
        user_data = https://lhcb-portal-dirac.cern.ch/lhcb/user_data
        accounting_fqan = /lhcb/Role=NULL/Capability=NULL
        backoff_seconds = 600
        fizzle_seconds = 600
        max_wallclock_seconds = 172800
        max_processors = 8
        heartbeat_file = vm-heartbeat
        heartbeat_seconds = 600
        user_data_file_hostcert = hostcert.pem
        user_data_file_hostkey = /etc/grid-security/lhcb/hostkey.pem
        cernvm_signing_dn = /CN=cvm-sign01\\.cern\\.ch$
        machineoutputs_days = 7
        """);
    Files.writeString(vacD.resolve("30-atlas.conf"), """
        [vmtype atlas]
        target_share = 3.5
        machine_model = vm-raw
        root_image = atlas.img
        user_data = user_data
        # This type uses its own squid.
        user_data_option_cvmfs_proxy = http://atlas-squid.example.com:3128
        disk_gb_per_processor = 20
        root_device = hda
        scratch_device = vdc
        cvmfs_repositories = atlas.cern.ch  atlas-condb.cern.ch
          sft.cern.ch
        """);
    // Shares grouped in a file of their own, as the admin guide suggests; read after 20-lhcb.conf.
    Files.writeString(vacD.resolve("90-shares.conf"), "[machinetype lhcb]\ntarget_share = 6.0\n");
    Files.writeString(vacD.resolve("README"), "not read: no .conf ending\n");
    Files.writeString(vacD.resolve("old.conf.rpmsave"), "not read either\n");
    Files.writeString(vacConf, """
        [settings]
        total_processors = 6
        disk_gb_per_processor = 40
        shutdown_time = 1700000000
        draining = no

        [machinetype alice]
        target_share = 1
        machine_model = docker
        root_image = docker://registry.example.com/alice/worker
        tmp_binds = /tmp /var/tmp /tmp
        """);
    Files.writeString(runConf, "[settings]\n# Drain for the power cut.\nshutdown_time = 1767225600\n");

    VacConf conf = read();

    assertEquals(List.of(vacD.resolve("10-site.conf"), vacD.resolve("20-lhcb.conf"), vacD.resolve("30-atlas.conf"),
        vacD.resolve("90-shares.conf"), vacConf, runConf), conf.files());

    VacSettings s = conf.settings();
    assertEquals("vac01.example.com", s.vacSpace());
    assertEquals("UKI-EXAMPLE", s.gocdbSitename());
    assertEquals(List.of("f1.example.com", "f2.example.com", "f3.example.com"), s.factories(),
        "short names get the factory's domain, '.' is this factory, duplicates go");
    assertEquals("Example space", s.description());
    assertEquals(List.of("vacmon.gridpp.ac.uk:8884"), s.vacmonHostport());
    assertEquals(4096, s.mbPerProcessor());
    assertEquals(10.5, s.hs06PerProcessor());
    assertEquals(8, s.processorsPerSuperslot());
    assertEquals(6, s.totalProcessors());
    assertEquals(40, s.diskGbPerProcessor());
    assertEquals(1767225600L, s.shutdownTime(), "/var/run/vac.conf is read last");
    assertFalse(s.draining());
    assertEquals(Map.of("site_note", "hello"), s.machinefeaturesOptions());

    assertEquals(Set.of("alice", "atlas", "lhcb"), conf.machinetypes().keySet());
    Machinetype lhcb = conf.machinetypes().get("lhcb");
    assertEquals(6.0, lhcb.targetShare());
    assertEquals(MachineModel.CERNVM3, lhcb.machineModel());
    assertEquals(new Url("https://lhcb-portal-dirac.cern.ch/images/cernvm3.iso"), lhcb.resolve(lhcb.rootImage()));
    assertEquals("/lhcb/Role=NULL/Capability=NULL", lhcb.machinegroup(), "machinegroup defaults to accounting_fqan");
    assertEquals(600, lhcb.backoffSeconds());
    assertEquals(172800, lhcb.maxWallclockSeconds());
    assertEquals(172800, lhcb.minWallclockSeconds(), "min_wallclock_seconds defaults to max_wallclock_seconds");
    assertEquals(1, lhcb.minProcessors());
    assertEquals(8, lhcb.maxProcessors());
    assertEquals("vm-heartbeat", lhcb.heartbeatFile());
    assertEquals(600, lhcb.heartbeatSeconds());
    assertEquals("/CN=cvm-sign01\\.cern\\.ch$", lhcb.imageSigningDn());
    assertEquals(7.0, lhcb.machinesDirDays());
    assertEquals(Map.of("cvmfs_proxy", "http://squid.example.com:3128"), lhcb.userDataOptions(),
        "[settings] user_data options are inherited");
    Path lhcbPath = state.resolve("machinetypes/lhcb");
    assertEquals(lhcbPath, lhcb.machinetypePath());
    assertEquals(new LocalFile(lhcbPath.resolve("files/hostcert.pem")),
        lhcb.resolve(lhcb.userDataFiles().get("hostcert")));
    assertEquals(new LocalFile(Path.of("/etc/grid-security/lhcb/hostkey.pem")),
        lhcb.resolve(lhcb.userDataFiles().get("hostkey")));
    assertEquals(40, lhcb.diskGbPerProcessor(), "no per-type value: the [settings] one");

    Machinetype atlas = conf.machinetypes().get("atlas");
    assertEquals(3.5, atlas.targetShare());
    assertEquals(MachineModel.VM_RAW, atlas.machineModel());
    assertEquals(new LocalFile(state.resolve("machinetypes/atlas/files/atlas.img")), atlas.resolve(atlas.rootImage()));
    assertEquals(Map.of("cvmfs_proxy", "http://atlas-squid.example.com:3128"), atlas.userDataOptions(),
        "a machinetype's own value overrides [settings]");
    assertEquals(20, atlas.diskGbPerProcessor(), "less than [settings]' 40, so used");
    assertEquals("hda", atlas.rootDevice());
    assertEquals("vdc", atlas.scratchDevice(), "a configured scratch_device is kept (Vac lost it)");
    assertEquals(Set.of("atlas.cern.ch", "atlas-condb.cern.ch", "sft.cern.ch"), atlas.cvmfsRepositories());
    assertEquals("atlas", atlas.machinegroup());

    Machinetype alice = conf.machinetypes().get("alice");
    assertEquals(MachineModel.DOCKER, alice.machineModel());
    assertEquals("docker://registry.example.com/alice/worker", alice.rootImage());
    assertEquals(List.of("/tmp", "/var/tmp"), alice.tmpBinds());

    assertEquals(List.of(
        vacD.resolve("10-site.conf") + ":17: mb_per_cpu is deprecated: use mb_per_processor",
        vacD.resolve("10-site.conf") + ":18: hs06_per_cpu is deprecated: use hs06_per_processor",
        vacD.resolve("10-site.conf") + ":19: cpu_per_machine is deprecated: use processors_per_superslot",
        vacD.resolve("20-lhcb.conf") + ":15: cernvm_signing_dn is deprecated: use image_signing_dn",
        vacD.resolve("20-lhcb.conf") + ":3: vm_model is deprecated: use machine_model",
        vacD.resolve("20-lhcb.conf") + ":16: machineoutputs_days is deprecated: use machines_dir_days",
        vacD.resolve("30-atlas.conf") + ":1: [vmtype atlas] is deprecated: use [machinetype atlas]"),
        conf.warnings());
  }

  @Test
  void vacsOwnExampleFileIsAcceptedWithWarnings() throws Exception {
    // The shape of example.vac.conf as Vac shipped it: a [vmtype], mb_per_machine (which Vac never
    // read), total_machines, scratch_gb = 0, rootpublickey and log_machineoutputs.
    VacConf conf = read("""
        #
        # Example /etc/vac.conf
        #

        [settings]
        vac_space = vac01.example.com
        gocdb_sitename = vac01.example.com
        factories = f1.example.com
        mb_per_machine = 2048
        total_machines = 1
        scratch_gb = 0

        [vmtype example]
        vm_model = cernvm3
        root_image = https://repo.example.com/vac/example/cernvm3.iso
        rootpublickey = /root/.ssh/id_rsa.pub
        user_data = https://repo.example.com/vac/example/user_data
        backoff_seconds=600
        fizzle_seconds=600
        max_wallclock_seconds=86400
        log_machineoutputs=True
        target_share = 1.0
        """);
    assertEquals(2048, conf.settings().mbPerProcessor(), "the default, since mb_per_machine is not read");
    assertEquals(0, conf.settings().diskGbPerProcessor());
    Machinetype example = conf.machinetypes().get("example");
    assertEquals(1.0, example.targetShare());
    assertEquals(0, example.diskGbPerProcessor());
    assertEquals(List.of(
        vacConf + ":9: mb_per_machine was never read by Vac (its example file had it by mistake); ignored: use mb_per_processor",
        vacConf + ":11: scratch_gb is deprecated: use disk_gb_per_processor",
        vacConf + ":10: total_machines is no longer used: total_processors limits the machines",
        vacConf + ":13: [vmtype example] is deprecated: use [machinetype example]",
        vacConf + ":14: vm_model is deprecated: use machine_model",
        vacConf + ":16: rootpublickey in [vmtype example] is deprecated and ignored: use root_public_key in [settings]",
        vacConf + ":21: log_machineoutputs is deprecated and ignored: machines_dir_days says how long machine"
            + " directories are kept"),
        conf.warnings());
  }

  // ---------------------------------------------------------------------------------------------
  // Defaults

  @Test
  void defaultsAreVacsWith03_00sOverload() throws Exception {
    VacConf conf = read(SETTINGS + "[machinetype plain]\n");
    VacSettings s = conf.settings();
    assertEquals(List.of(), s.factories());
    assertEquals(10.0, s.udpTimeoutSeconds());
    assertEquals(2048, s.mbPerProcessor());
    assertNull(s.hs06PerProcessor());
    assertEquals(1.0, s.hs06PerProcessorOrDefault());
    assertEquals(1, s.processorsPerSuperslot());
    assertEquals(8, s.totalProcessors(), "the host's processors");
    assertEquals(1.5, s.overloadPerProcessor());
    assertNull(s.shutdownTime());
    assertFalse(s.draining());
    assertNull(s.gocdbSitename());
    assertNull(s.gocdbCertFile());
    assertNull(s.gocdbKeyFile());
    assertNull(s.description());
    assertEquals(1, s.versionLogger());
    assertEquals(List.of(), s.vacmonHostport());
    assertNull(s.volumeGroup(), "vac_volume_group does not exist here");
    assertNull(s.diskGbPerProcessor());
    assertEquals(Path.of("/root/.ssh/id_rsa.pub"), s.rootPublicKey());
    assertNull(s.singularityUser());
    assertTrue(s.fixNetworking());
    assertNull(s.forwardDev());
    assertEquals(Map.of(), s.userDataOptions());
    assertEquals(Map.of(), s.userDataFiles());
    assertEquals(Map.of(), s.machinefeaturesOptions());

    Machinetype t = conf.machinetypes().get("plain");
    assertEquals("plain", t.name());
    assertEquals(0.0, t.targetShare());
    assertEquals(MachineModel.CERNVM3, t.machineModel());
    assertNull(t.rootImage());
    assertNull(t.userData());
    assertFalse(t.userDataProxy());
    assertFalse(t.legacyProxy());
    assertEquals(1, t.minProcessors());
    assertEquals(1, t.maxProcessors());
    assertEquals(86400, t.maxWallclockSeconds());
    assertEquals(86400, t.minWallclockSeconds());
    assertEquals(10, t.backoffSeconds());
    assertEquals(600, t.fizzleSeconds());
    assertNull(t.heartbeatFile());
    assertEquals(0, t.heartbeatSeconds());
    assertNull(t.accountingFqan());
    assertEquals("plain", t.machinegroup());
    assertEquals(3.0, t.machinesDirDays());
    assertNull(t.diskGbPerProcessor());
    assertEquals("vda", t.rootDevice());
    assertEquals("vdb", t.scratchDevice());
    assertNull(t.imageSigningDn());
    assertEquals("/user_data", t.containerCommand());
    assertEquals(Set.of(), t.cvmfsRepositories());
    assertEquals(List.of(), t.tmpBinds());
    assertEquals(state.resolve("machinetypes/plain"), t.machinetypePath());
    assertNull(t.pipePrefix());
    assertEquals(Map.of(), conf.pipes());
    assertEquals(List.of(), conf.warnings());
  }

  @Test
  void theDefaultVolumeGroupIsUsedWhenItExists() throws Exception {
    volumeGroups.add("vac_volume_group");
    assertEquals("vac_volume_group", read(SETTINGS).settings().volumeGroup());
  }

  @Test
  void anExplicitVolumeGroupThatExistsIsUsed() throws Exception {
    volumeGroups.add("vg_vms");
    assertEquals("vg_vms", read(SETTINGS + "volume_group = vg_vms\n").settings().volumeGroup());
  }

  @Test
  void everyOtherSettingIsRead() throws Exception {
    VacSettings s = read(SETTINGS + """
        udp_timeout_seconds = 2.5
        overload_per_processor = 1.25
        gocdb_cert_file = /etc/grid-security/gocdb-cert.pem
        gocdb_key_file = /etc/grid-security/gocdb-key.pem
        version_logger = 3
        root_public_key = /etc/vac/id_rsa.pub
        singularity_user = vacsing
        fix_networking = false
        forward_dev = eth1
        user_data_file_common = common.txt
        draining = Yes
        """).settings();
    assertEquals(2.5, s.udpTimeoutSeconds());
    assertEquals(1.25, s.overloadPerProcessor());
    assertEquals("/etc/grid-security/gocdb-cert.pem", s.gocdbCertFile());
    assertEquals("/etc/grid-security/gocdb-key.pem", s.gocdbKeyFile());
    assertEquals(3, s.versionLogger());
    assertEquals(Path.of("/etc/vac/id_rsa.pub"), s.rootPublicKey());
    assertEquals("vacsing", s.singularityUser());
    assertFalse(s.fixNetworking());
    assertEquals("eth1", s.forwardDev());
    assertEquals(Map.of("common", "common.txt"), s.userDataFiles());
    assertTrue(s.draining());
  }

  @Test
  void everyOtherMachinetypeOptionIsRead() throws Exception {
    VacConf conf = read(SETTINGS + """
        singularity_user = vacsing
        [machinetype sing]
        machine_model = singularity
        root_image = /cvmfs/unpacked.cern.ch/centos7
        user_data = /etc/vac/sing/user_data
        user_data_proxy = true
        legacy_proxy = on
        min_processors = 2
        max_processors = 4
        min_wallclock_seconds = 3600
        machinegroup = lhc
        machines_dir_days = 0.5
        image_signing_dn = /CN=signer$
        container_command = /bin/start
        machinetype_path = /srv/vac/sing
        """);
    Machinetype t = conf.machinetypes().get("sing");
    assertEquals(MachineModel.SINGULARITY, t.machineModel());
    assertEquals(new LocalFile(Path.of("/cvmfs/unpacked.cern.ch/centos7")), t.resolve(t.rootImage()));
    assertEquals("/etc/vac/sing/user_data", t.userData());
    assertTrue(t.userDataProxy());
    assertTrue(t.legacyProxy());
    assertEquals(2, t.minProcessors());
    assertEquals(4, t.maxProcessors());
    assertEquals(3600, t.minWallclockSeconds());
    assertEquals("lhc", t.machinegroup());
    assertEquals(0.5, t.machinesDirDays());
    assertEquals("/CN=signer$", t.imageSigningDn());
    assertEquals("/bin/start", t.containerCommand());
    assertEquals(Path.of("/srv/vac/sing"), t.machinetypePath());
    assertEquals(List.of(), conf.warnings());
  }

  // ---------------------------------------------------------------------------------------------
  // Aliases

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "mb_per_cpu, mb_per_processor",
      "hs06_per_cpu, hs06_per_processor",
      "cpu_per_machine, processors_per_superslot",
      "vcpu_per_machine, processors_per_superslot",
      "cpu_total, total_processors",
      "overload_per_cpu, overload_per_processor",
      "disk_gb_per_cpu, disk_gb_per_processor",
      "scratch_gb, disk_gb_per_processor",
  })
  void settingsAliasesMeanTheCurrentOptionWithAWarning(String alias, String current) throws Exception {
    VacConf byAlias = read(SETTINGS + alias + " = 4\n");
    VacConf byName = read(SETTINGS + current + " = 4\n");
    assertEquals(byName.settings(), byAlias.settings(), alias + " means " + current);
    assertEquals(List.of(), byName.warnings());
    assertEquals(List.of(vacConf + ":3: " + alias + " is deprecated: use " + current), byAlias.warnings());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "vm_model, machine_model, vm-raw",
      "machineoutputs_days, machines_dir_days, 9",
      "cernvm_signing_dn, image_signing_dn, /CN=x$",
  })
  void machinetypeAliasesMeanTheCurrentOptionWithAWarning(String alias, String current, String value)
      throws Exception {
    VacConf byAlias = read(SETTINGS + "[machinetype t]\n" + alias + " = " + value + "\n");
    VacConf byName = read(SETTINGS + "[machinetype t]\n" + current + " = " + value + "\n");
    assertEquals(byName.machinetypes(), byAlias.machinetypes());
    assertEquals(List.of(vacConf + ":4: " + alias + " is deprecated: use " + current), byAlias.warnings());
  }

  @Test
  void aVmtypeSectionIsAMachinetype() throws Exception {
    VacConf byVmtype = read(SETTINGS + "[vmtype t]\ntarget_share = 2\n");
    VacConf byMachinetype = read(SETTINGS + "[machinetype t]\ntarget_share = 2\n");
    assertEquals(byMachinetype.machinetypes(), byVmtype.machinetypes());
    assertEquals(List.of(vacConf + ":3: [vmtype t] is deprecated: use [machinetype t]"), byVmtype.warnings());
  }

  @Test
  void whenAnAliasAndItsCurrentNameAreBothSetTheOneVacPreferredWins() throws Exception {
    Files.writeString(vacD.resolve("10-old.conf"), "[settings]\nmb_per_cpu = 1024\ncpu_per_machine = 2\n");
    VacConf conf = read(SETTINGS + "mb_per_processor = 4096\nprocessors_per_superslot = 4\nvcpu_per_machine = 3\n");
    // Vac read mb_per_cpu before mb_per_processor, but processors_per_superslot after its old names.
    assertEquals(1024, conf.settings().mbPerProcessor());
    assertEquals(4, conf.settings().processorsPerSuperslot());
    String old = vacD.resolve("10-old.conf").toString();
    assertEquals(List.of(
        old + ":2: mb_per_cpu is deprecated: use mb_per_processor",
        old + ":2: mb_per_cpu (" + old + ":2) and mb_per_processor (" + vacConf + ":3) are set in [settings];"
            + " mb_per_cpu is used, as Vac did: keep only mb_per_processor",
        vacConf + ":5: vcpu_per_machine is deprecated: use processors_per_superslot",
        old + ":3: cpu_per_machine is deprecated: use processors_per_superslot",
        vacConf + ":4: processors_per_superslot (" + vacConf + ":4) and vcpu_per_machine (" + vacConf + ":5) and"
            + " cpu_per_machine (" + old + ":3) are set in [settings]; processors_per_superslot is used, as Vac did:"
            + " keep only processors_per_superslot"),
        conf.warnings());
  }

  @Test
  void versionLoggerTrueAndFalseMeanOneAndZero() throws Exception {
    VacConf on = read(SETTINGS + "version_logger = True\n");
    assertEquals(1, on.settings().versionLogger());
    assertEquals(List.of(vacConf + ":3: version_logger now takes a number of reports per day: 'True' means 1"),
        on.warnings());
    assertEquals(0, read(SETTINGS + "version_logger = false\n").settings().versionLogger());
    VacConf garbage = read(SETTINGS + "version_logger = often\n");
    assertEquals(0, garbage.settings().versionLogger(), "Vac used 0 for what it could not read");
    assertEquals(List.of(vacConf + ":3: version_logger 'often' is not a number of reports per day; 0 (none) is"
        + " used, as Vac did"), garbage.warnings());
  }

  @ParameterizedTest
  @CsvSource({"yes, true", "YES, true", "true, true", "on, true", "1, true",
      "no, false", "False, false", "off, false", "0, false"})
  void drainingTakesConfigParserBooleans(String written, boolean draining) throws Exception {
    VacConf conf = read(SETTINGS + "draining = " + written + "\n");
    assertEquals(draining, conf.settings().draining());
    assertEquals(List.of(), conf.warnings());
  }

  @Test
  void aBooleanVacCouldNotReadFallsBackToVacsResultWithAWarning() throws Exception {
    VacConf conf = read(SETTINGS + "draining = please\nfix_networking = never\n");
    assertFalse(conf.settings().draining());
    assertTrue(conf.settings().fixNetworking());
    assertEquals(List.of(
        vacConf + ":3: draining 'please' is not yes/no, true/false, on/off or 1/0; false is used, as Vac did",
        vacConf + ":4: fix_networking 'never' is not yes/no, true/false, on/off or 1/0; true is used, as Vac did"),
        conf.warnings());
  }

  @Test
  void factoriesAreLowerCasedAndCompleted() throws Exception {
    factoryName = "f1.dept.example.com";
    VacSettings s = read(SETTINGS + "factories = F2  f3.other.org\n  .\n\tf1.DEPT.example.com\n").settings();
    assertEquals(List.of("f2.dept.example.com", "f3.other.org", "f1.dept.example.com"), s.factories());
  }

  @Test
  void factoriesWithoutThisFactoryAreWarnedAbout() throws Exception {
    VacConf conf = read(SETTINGS + "factories = f2.example.com\n");
    assertEquals(List.of(vacConf + ":3: factories does not list this factory (f1.example.com); Vac's census then"
        + " leaves out its own machines"), conf.warnings());
  }

  @Test
  void aMachinetypeMayAskForLessDiskThanSettingsButNotMore() throws Exception {
    VacConf conf = read(SETTINGS + "disk_gb_per_processor = 30\n[machinetype small]\ndisk_gb_per_processor = 10\n"
        + "[machinetype big]\ndisk_gb_per_processor = 50\n");
    assertEquals(10, conf.machinetypes().get("small").diskGbPerProcessor());
    assertEquals(30, conf.machinetypes().get("big").diskGbPerProcessor());
    assertEquals(List.of(vacConf + ":7: disk_gb_per_processor 50 is more than [settings]' 30; 30 is used, as in Vac"),
        conf.warnings());
    VacConf noGlobal = read(SETTINGS + "[machinetype t]\ndisk_gb_per_processor = 50\ndisk_gb_per_processor = x\n");
    assertNull(noGlobal.machinetypes().get("t").diskGbPerProcessor(), "Vac ignored a per-type value it could not read");
    assertEquals(List.of(vacConf + ":5: disk_gb_per_processor 'x' is not a whole number; ignored, as Vac ignored it"),
        noGlobal.warnings());
    assertEquals(50, read(SETTINGS + "[machinetype t]\ndisk_gb_per_processor = 50\n").machinetypes().get("t")
        .diskGbPerProcessor(), "without a [settings] value the type's own is used");
  }

  @Test
  void deprecatedAndIgnoredOptionsAndSectionsAreWarningsNotErrors() throws Exception {
    VacConf conf = read(SETTINGS + """
        domain_type = kvm
        delete_old_files = False
        cycle_seconds = 60
        mb_per_vm = 2048
        [machinetype t]
        root_public_key = /root/.ssh/id_rsa.pub
        user_data_proxy_cert = /etc/cert.pem
        prolog = /bin/true
        vacuum_pipe_url = https://example.com/t.pipe
        target_shares = 1
        [monitoring]
        url = http://example.com
        [Settings]
        vac_space = ignored.example.com
        """);
    assertEquals(List.of(
        vacConf + ":3: domain_type is no longer used (KVM only); remove it",
        vacConf + ":4: delete_old_files is no longer used: old files are always deleted",
        vacConf + ":5: cycle_seconds is ignored (vacuum reacts to events rather than cycling)",
        vacConf + ":6: mb_per_vm is not an option Vac reads in [settings]; ignored",
        vacConf + ":8: root_public_key in [machinetype t] is deprecated and ignored: use root_public_key in [settings]",
        vacConf + ":9: user_data_proxy_cert is deprecated and ignored: set user_data_proxy = true and put"
            + " x509cert.pem and x509key.pem in " + state.resolve("machinetypes/t"),
        vacConf + ":10: prolog was removed in Vac 0.17; ignored",
        vacConf + ":11: vacuum_pipe_url inside [machinetype t] is no longer read (since Vac 03.00): use a"
            + " [vacuum_pipe PREFIX] section",
        vacConf + ":12: target_shares is not an option Vac reads in [machinetype t]; ignored",
        vacConf + ":13: [monitoring] is not a Vac section ([settings], [machinetype NAME], [vacuum_pipe PREFIX]);"
            + " ignored",
        vacConf + ":15: [Settings] is not a Vac section ([settings], [machinetype NAME], [vacuum_pipe PREFIX]);"
            + " ignored"),
        conf.warnings());
  }

  @Test
  void machinetypeNamesAreLowerCasedAsVacDid() throws Exception {
    assertEquals(Set.of("lhcb"), read(SETTINGS + "[MachineType LHCb]\n").machinetypes().keySet());
  }

  @Test
  void defaultSectionOptionsReachEveryMachinetype() throws Exception {
    VacConf conf = read(SETTINGS + "[DEFAULT]\nfizzle_seconds = 900\n[machinetype a]\n[machinetype b]\n"
        + "fizzle_seconds = 300\n");
    assertEquals(900, conf.machinetypes().get("a").fizzleSeconds());
    assertEquals(300, conf.machinetypes().get("b").fizzleSeconds());
    assertEquals(List.of(), conf.warnings(), "an inherited option is not warned about where it does not apply");
  }

  @Test
  void vacuumPipesAreKeptAsWritten() throws Exception {
    VacConf conf = read(SETTINGS + """
        [vacuum_pipe lhcb]
        vacuum_pipe_url = https://lhcb-portal-dirac.cern.ch/pipes/lhcb.pipe
        target_share = 4
        user_data_option_cvmfs_proxy = http://squid:3128
        accounting_fqan = /lhcb/Role=NULL/Capability=NULL
        [vacuum_pipe atlas]
        vacuum_pipe_url = https://example.org/atlas.pipe
        [vacuum_pipe cms]
        vacuum_pipe_url = https://example.org/cms.pipe
        target_share = lots
        """);
    assertEquals(new VacuumPipe("lhcb", "https://lhcb-portal-dirac.cern.ch/pipes/lhcb.pipe", 4.0,
        Map.of("user_data_option_cvmfs_proxy", "http://squid:3128", "accounting_fqan", "/lhcb/Role=NULL/Capability=NULL")),
        conf.pipes().get("lhcb"));
    assertEquals(0.0, conf.pipes().get("atlas").targetShare());
    assertEquals(0.0, conf.pipes().get("cms").targetShare());
    assertEquals(vacConf + ":12: target_share 'lots' of [vacuum_pipe cms] is not a number; 0 is used, as"
        + " Vac did, so its machinetypes get no share", conf.warnings().get(0));
    assertEquals(vacConf + ":3: [vacuum_pipe lhcb] no cached copy of https://lhcb-portal-dirac.cern.ch/pipes/lhcb.pipe"
        + " in " + state.resolve("pipescache/lhcb.pipe") + " yet: its machinetypes are absent until the factory"
        + " fetches it", conf.warnings().get(3));
    assertEquals(Map.of(), conf.machinetypes(), "read() only looks at the pipes' cache, which is empty");
  }

  @Test
  void theFingerprintFollowsContentNotLayout() throws Exception {
    String one = read(SETTINGS + "[machinetype a]\ntarget_share = 1\n").fingerprint();
    Files.writeString(vacD.resolve("10-a.conf"), "# shares\n[machinetype a]\ntarget_share = 1\n");
    assertEquals(one, read(SETTINGS).fingerprint());
    assertNotEquals(one, read(SETTINGS + "[machinetype a]\ntarget_share = 2\n").fingerprint());
  }

  @Test
  void filesListsWhatIsThereInReadOrder() throws Exception {
    assertEquals(List.of(), VacConfReader.files(paths()));
    Files.writeString(vacD.resolve("b.conf"), "");
    Files.writeString(vacD.resolve("a.conf"), "");
    Files.createDirectories(vacD.resolve("dir.conf"));
    Files.writeString(runConf, "");
    assertEquals(List.of(vacD.resolve("a.conf"), vacD.resolve("b.conf"), runConf), VacConfReader.files(paths()));
  }

  @Test
  void dropInsAreReadInAlphanumericNotNumericOrder() throws Exception {
    // "9-..." sorts after "10-..." as a string, so it is read later and wins, as in Vac.
    Files.writeString(vacD.resolve("9-late.conf"), "[settings]\nmb_per_processor = 1024\n");
    Files.writeString(vacD.resolve("10-early.conf"), SETTINGS + "mb_per_processor = 4096\n");
    VacConf conf = read();
    assertEquals(List.of(vacD.resolve("10-early.conf"), vacD.resolve("9-late.conf")), conf.files());
    assertEquals(1024, conf.settings().mbPerProcessor());
  }

  @Test
  void aMissingDropInDirectoryIsSkipped() throws Exception {
    Files.delete(vacD);
    assertEquals("vac01.example.com", read(SETTINGS).settings().vacSpace());
  }

  @Test
  void countsProcessorsAsVacDid() throws Exception {
    Path cpuinfo = dir.resolve("cpuinfo");
    Files.writeString(cpuinfo, "processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\nprocessors: 9\n");
    assertEquals(2, Host.countProcessors(cpuinfo));
    assertEquals(0, Host.countProcessors(dir.resolve("missing")));
  }

  @Test
  void thePasswdDatabaseKnowsRoot() {
    assertEquals(OptionalLong.of(0), Host.passwdUserId("root"));
    assertEquals(OptionalLong.empty(), Host.passwdUserId("no-such-user-vacuum"));
  }

  // ---------------------------------------------------------------------------------------------
  // What Vac refused

  @Test
  void theFactoryNameMustBeAnFqdn() throws Exception {
    factoryName = "f1";
    Files.writeString(vacConf, SETTINGS);
    VacConfException e = assertThrows(VacConfException.class, this::read);
    assertTrue(e.getMessage().startsWith("this factory's name 'f1' is not a fully qualified domain name"),
        e.getMessage());
  }

  @Test
  void noFilesAtAllNamesWhereToPutThem() {
    VacConfException e = assertThrows(VacConfException.class, this::read);
    assertEquals("no vac.conf file found (looked for " + vacD + "/*.conf, " + vacConf + " and " + runConf
        + "): create " + vacConf + " and add a [settings] section with at least vac_space = NAME (the space's"
        + " FQDN-like name, e.g. vac01.example.com)", e.getMessage());
  }

  @Test
  void noSettingsSectionNamesTheFilesRead() throws Exception {
    Files.writeString(vacD.resolve("20-lhcb.conf"), "[machinetype lhcb]\n");
    Files.writeString(vacConf, "[Settings]\nvac_space = vac01.example.com\n");
    VacConfException e = assertThrows(VacConfException.class, this::read);
    assertEquals("no [settings] section in " + vacD.resolve("20-lhcb.conf") + ", " + vacConf + ": add a [settings]"
        + " section with at least vac_space = NAME (the space's FQDN-like name, e.g. vac01.example.com)"
        + " (the name is case-sensitive)", e.getMessage());
  }

  @Test
  void noVacSpace() throws Exception {
    Files.writeString(vacD.resolve("10-site.conf"), "[settings]\nfactories = f1.example.com\n");
    Files.writeString(vacConf, "# local\n[settings]\ndraining = yes\n");
    VacConfException e = assertThrows(VacConfException.class, this::read);
    assertEquals(vacD.resolve("10-site.conf") + ":1: [settings] has no vac_space (nor has any other [settings]"
        + " part: " + vacConf + ":2): add vac_space = NAME, the space's FQDN-like name (e.g. vac01.example.com),"
        + " which is not a factory's name", e.getMessage());
  }

  @Test
  void theSpaceIsNotThisFactory() throws Exception {
    assertEquals("vac_space 'F1.example.com' is this factory's own name: the space needs a name of its own,"
        + " e.g. vac01.example.com", error("[settings]\nvac_space = F1.example.com\n", 2));
    error("[settings]\nvac_space =\n", 2);
  }

  @Test
  void totalProcessorsCannotExceedTheCountedOnes() throws Exception {
    assertEquals("total_processors 9 is more than the 8 processors counted on this factory",
        error(SETTINGS + "total_processors = 9\n", 3));
    assertEquals("cpu_total 16 is more than the 8 processors counted on this factory",
        error(SETTINGS + "\ncpu_total = 16\n", 4));
  }

  @Test
  void vacmonHostportEntriesAreHostAndPort() throws Exception {
    assertEquals("vacmon_hostport entry 'vacmon.gridpp.ac.uk' is not host.domain:port (e.g. vacmon.gridpp.ac.uk:8884)",
        error(SETTINGS + "vacmon_hostport = a.example.com:1 vacmon.gridpp.ac.uk\n", 3));
    error(SETTINGS + "vacmon_hostport = vacmon_x.example.com:8884\n", 3);
  }

  @Test
  void shutdownTimeIsUnixSeconds() throws Exception {
    assertEquals("shutdown_time '2025-01-01' is not a Unix time (whole seconds since 1970, e.g. from date +%s -d '...')",
        error(SETTINGS + "shutdown_time = 2025-01-01\n", 3));
    assertEquals("shutdown_time '-1' must not be negative", error(SETTINGS + "shutdown_time = -1\n", 3));
  }

  @Test
  void machinetypeNamesAndPipePrefixesAreLimited() throws Exception {
    assertEquals("machinetype name 'lhcb_prod' in [machinetype lhcb_prod] may contain only a-z 0-9 and -",
        error(SETTINGS + "[machinetype lhcb_prod]\n", 3));
    assertEquals("machinetype name 'lhcb prod' in [vmtype lhcb prod] may contain only a-z 0-9 and -",
        error(SETTINGS + "[vmtype lhcb prod]\n", 3));
    assertEquals("[machinetype] has no name: write [machinetype NAME]", error(SETTINGS + "[machinetype]\n", 3));
    assertEquals("vacuum_pipe prefix 'lhcb.prod' in [vacuum_pipe lhcb.prod] may contain only a-z 0-9 and -",
        error(SETTINGS + "[vacuum_pipe lhcb.prod]\nvacuum_pipe_url = https://x/y\n", 3));
  }

  @Test
  void aMachinetypeIsDefinedOnce() throws Exception {
    assertEquals("[vmtype lhcb] defines machinetype 'lhcb' again (also [machinetype lhcb] at " + vacConf
        + ":3): merge them into one [machinetype lhcb]",
        error(SETTINGS + "[machinetype lhcb]\n[vmtype lhcb]\n", 4));
  }

  @Test
  void userDataAndMachinefeaturesOptionNamesAreLimited() throws Exception {
    assertEquals("option name 'user_data_option_proxy-url' in [settings] may contain only a-z 0-9 and _",
        error(SETTINGS + "user_data_option_proxy-url = x\n", 3));
    assertEquals("option name 'user_data_file_host.cert' in [machinetype t] may contain only a-z 0-9 and _",
        error(SETTINGS + "[machinetype t]\n\nuser_data_file_host.cert = x\n", 5));
    assertEquals("option name 'machinefeatures_option_x-y' in [settings] may contain only a-z 0-9 and _",
        error(SETTINGS + "machinefeatures_option_x-y = 1\n", 3));
  }

  @Test
  void machineModelsAreVacs() throws Exception {
    assertEquals("machine_model 'kvm' is not a machine model Vac knows: use one of cernvm3, cernvm4, vm-raw, docker,"
        + " singularity", error(SETTINGS + "[machinetype t]\nmachine_model = kvm\n", 4));
    assertEquals("vm_model 'CernVM3' is not a machine model Vac knows: use one of cernvm3, cernvm4, vm-raw, docker,"
        + " singularity", error(SETTINGS + "[machinetype t]\nvm_model = CernVM3\n", 4));
  }

  @Test
  void maxProcessorsIsAtLeastMinProcessors() throws Exception {
    assertEquals("max_processors 2 is less than min_processors 4",
        error(SETTINGS + "[machinetype t]\nmin_processors = 4\nmax_processors = 2\n", 5));
    assertEquals("max_processors 1 (the default) is less than min_processors 4",
        error(SETTINGS + "[machinetype t]\nmin_processors = 4\n", 4));
  }

  @Test
  void legacySectionsAreRefused() throws Exception {
    assertEquals("a [factories] section is no longer read: list the factories in [settings] as factories = FQDN"
        + " FQDN ... (see the Admin Guide)", error(SETTINGS + "[factories]\nnames = f1.example.com\n", 3));
    assertEquals("a [targetshares] section is no longer read: give each machinetype its share as target_share = N"
        + " in its [machinetype NAME] section (they may still be grouped in a file of their own)",
        error(SETTINGS + "[machinetype lhcb]\n[targetshares]\nlhcb = 1\n", 4));
  }

  @Test
  void dockerImagesNeedTheDockerModel() throws Exception {
    assertEquals("root_image 'docker://alice/worker' is a Docker image, which only machine_model = docker can run"
        + " (this machinetype's model is singularity)",
        error(SETTINGS + "singularity_user = vacsing\n[machinetype t]\nmachine_model = singularity\n"
            + "root_image = docker://alice/worker\n", 6));
  }

  @Test
  void anExplicitVolumeGroupMustExist() throws Exception {
    volumeGroups.add("vac_volume_group");
    assertEquals("volume_group 'vg_missing' does not exist on this factory: create it (vgcreate) or remove the option",
        error(SETTINGS + "volume_group = vg_missing\n", 3));
  }

  @Test
  void numbersMustBeNumbers() throws Exception {
    Files.writeString(vacConf, SETTINGS);
    Files.writeString(vacD.resolve("20-lhcb.conf"), """
        # LHCb's machinetype, as given by the VO.
        [machinetype lhcb]
        machine_model = cernvm3
        root_image = https://lhcb-portal-dirac.cern.ch/images/cernvm3.iso
        user_data = https://lhcb-portal-dirac.cern.ch/lhcb/user_data
        accounting_fqan = /lhcb/Role=NULL/Capability=NULL
        backoff_seconds = 600
        fizzle_seconds = 600
        max_wallclock_seconds = 172800
        heartbeat_file = vm-heartbeat
        heartbeat_seconds = 600

        # Shares are set by the site.
        target_share = abc
        """);
    VacConfException e = assertThrows(VacConfException.class, this::read);
    assertEquals(vacD.resolve("20-lhcb.conf") + ":14: target_share 'abc' is not a number", e.getMessage());
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "mb_per_processor | 2048.5 | mb_per_processor '2048.5' is not a whole number",
      "mb_per_processor | 0 | mb_per_processor '0' must be at least 1",
      "mb_per_cpu | lots | mb_per_cpu 'lots' is not a whole number",
      "hs06_per_processor | ten | hs06_per_processor 'ten' is not a number",
      "hs06_per_processor | 0 | hs06_per_processor must be more than 0 (leave it out if unknown)",
      "processors_per_superslot | 0 | processors_per_superslot '0' must be at least 1",
      "total_processors | -1 | total_processors '-1' must not be negative",
      "overload_per_processor | -0.5 | overload_per_processor '-0.5' must not be negative",
      "overload_per_processor | nan | overload_per_processor 'nan' is not a finite number",
      "udp_timeout_seconds | 0 | udp_timeout_seconds must be more than 0",
      "udp_timeout_seconds | 1,5 | udp_timeout_seconds '1,5' is not a number",
      "disk_gb_per_processor | -40 | disk_gb_per_processor '-40' must not be negative",
      "version_logger | -1 | version_logger '-1' must not be negative",
      "mb_per_processor | 99999999999 | mb_per_processor '99999999999' is too large",
  })
  void badSettingsNumbers(String option, String value, String message) throws Exception {
    assertEquals(message, error(SETTINGS + option + " = " + value + "\n", 3));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "target_share | -1 | target_share '-1' must not be negative",
      "target_share | 1e400 | target_share '1e400' is too large",
      "min_processors | 0 | min_processors '0' must be at least 1",
      "max_processors | two | max_processors 'two' is not a whole number",
      "max_wallclock_seconds | 0 | max_wallclock_seconds '0' must be at least 1",
      "min_wallclock_seconds | -5 | min_wallclock_seconds '-5' must not be negative",
      "backoff_seconds | 1h | backoff_seconds '1h' is not a whole number",
      "fizzle_seconds | -1 | fizzle_seconds '-1' must not be negative",
      "heartbeat_seconds | 0.5 | heartbeat_seconds '0.5' is not a whole number",
      "machines_dir_days | soon | machines_dir_days 'soon' is not a number",
      "disk_gb_per_processor | -1 | disk_gb_per_processor '-1' must not be negative",
      "root_device | sda1! | root_device 'sda1!' may contain only a-z and 0-9 (e.g. vda)",
      "root_device | VDA | root_device 'VDA' may contain only a-z and 0-9 (e.g. vda)",
      "scratch_device | /dev/vdb | scratch_device '/dev/vdb' may contain only a-z and 0-9 (e.g. vdb)",
  })
  void badMachinetypeValues(String option, String value, String message) throws Exception {
    assertEquals(message, error(SETTINGS + "[machinetype t]\n" + option + " = " + value + "\n", 4));
  }

  @Test
  void negativeMachinesDirDaysMeansKeepForever() throws Exception {
    assertEquals(-1.0, read(SETTINGS + "[machinetype t]\nmachines_dir_days = -1\n").machinetypes().get("t")
        .machinesDirDays());
  }

  @Test
  void theSingularityUserExistsAndIsNotRoot() throws Exception {
    assertEquals("singularity_user 'nosuch' does not exist in the passwd database: create that user or remove the"
        + " option", error(SETTINGS + "singularity_user = nosuch\n", 3));
    assertEquals("singularity_user 'root' is root: Vac kills every process of this user outside its containers, so"
        + " use a dedicated unprivileged user", error(SETTINGS + "singularity_user = root\n", 3));
  }

  @Test
  void aSingularityMachinetypeWithoutSingularityUserIsWarnedAbout() throws Exception {
    VacConf conf = read(SETTINGS + "[machinetype s]\nmachine_model = singularity\n");
    assertEquals(List.of(vacConf + ":3: [machinetype s] uses machine_model = singularity but [settings] has no"
        + " singularity_user: its machines cannot be created"), conf.warnings());
  }

  @Test
  void aVacuumPipeNeedsItsUrl() throws Exception {
    assertEquals("[vacuum_pipe lhcb] needs vacuum_pipe_url = URL (the pipe's JSON, from the VO)",
        error(SETTINGS + "[vacuum_pipe lhcb]\ntarget_share = 1\n", 3));
  }

  @Test
  void aLineOutsideTheDialectIsAnError() throws Exception {
    assertTrue(error(SETTINGS + "mb_per_processor 4096\n", 3).startsWith("cannot read 'mb_per_processor 4096'"));
  }

  @Test
  void theRunFileIsCheckedLikeTheOthers() throws Exception {
    Files.writeString(vacConf, SETTINGS);
    Files.writeString(runConf, "[settings]\nshutdown_time = tomorrow\n");
    VacConfException e = assertThrows(VacConfException.class, this::read);
    assertTrue(e.getMessage().startsWith(runConf + ":2: shutdown_time 'tomorrow' is not a Unix time"), e.getMessage());
  }
}
