package org.vacuum.config.vac;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.IniParser.Document;
import org.vacuum.config.vac.IniParser.Origin;
import org.vacuum.config.vac.IniParser.Section;
import org.vacuum.config.vac.IniParser.Value;
import org.vacuum.config.vac.Machinetype.MachineModel;

/**
 * Reads a factory's vac.conf files the way Vac's {@code readConf} did (reference/vac.md §1) and
 * turns them into a validated {@link VacConf}, so that a site admin's existing files work unchanged.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Files are read in Vac's order: every {@code *.conf} in {@code dir} sorted by name, then
 *       {@code file}, then {@code run-file}; later values win. Missing files and a missing
 *       directory are skipped silently; a file that exists but cannot be read is skipped with a
 *       warning, as Vac skipped it.
 *   <li>Every option Vac read is read, with its default and every deprecated alias. Where an alias
 *       and the current name are both set, the one Vac preferred wins (for most options that is the
 *       deprecated alias) and a warning says so.
 *   <li>What Vac refused ({@code readConf} returned an error or crashed) throws {@link
 *       VacConfException} with {@code FILE:LINE: what}; so do values Vac would have misused
 *       (negative counts, a zero lifetime, ...). What Vac only printed, and values Vac silently
 *       replaced by a fallback, become {@link VacConf#warnings()} and the fallback is used.
 *   <li>Each {@code [vacuum_pipe PREFIX]} is expanded into machinetypes {@code PREFIX-SUFFIX}
 *       (reference/vac.md §1.4, §7.3; rules in {@link PipeExpansion}) from the pipe that {@link
 *       VacuumPipes} gives: the cached copy, fetched first if due when the caller passes a fetching
 *       one. Precedence, highest first: the site's {@code [machinetype PREFIX-SUFFIX]}, the {@code
 *       [vacuum_pipe]} section's options, the pipe's entry, {@code [DEFAULT]}. A pipe that cannot be
 *       had, or an entry or value it may not give, is a warning and its machinetypes are absent;
 *       the rest of vac.conf stays in force (Vac skipped such pipes too). A pipe value that the
 *       machinetype parser refuses (e.g. {@code max_processors} "lots") drops that machinetype with
 *       a warning naming the pipe's URL and the option, where Vac refused the whole of vac.conf: a
 *       VO's mistake should not stop the site's other machinetypes. The pipes used count in {@link
 *       VacConf#fingerprint()}, so a changed pipe is applied like an edit of vac.conf.
 * </ul>
 *
 * <p>Vac's known defects (reference/vac.md §10.2) that touch this class are not reproduced:
 * {@code scratch_device} is stored (#4), and {@code mb_per_machine} is warned about as not read
 * (#7). None of the listed defects concerns pipes; where vacuum's pipe handling departs from Vac's
 * on purpose, {@link PipeExpansion} and {@link VacuumPipes} say so.
 */
public final class VacConfReader {

  /** The 03.00 release line's default (master had 1.25); reference/vac.md §1.2. */
  static final double DEFAULT_OVERLOAD_PER_PROCESSOR = 1.5;

  static final String DEFAULT_VOLUME_GROUP = "vac_volume_group";
  static final String DEFAULT_ROOT_PUBLIC_KEY = "/root/.ssh/id_rsa.pub";

  private static final Pattern VACMON_HOSTPORT = Pattern.compile("[a-z0-9.-]+:[0-9]+");
  private static final Pattern WHOLE_NUMBER = Pattern.compile("[+-]?[0-9]+");
  // Python's float(): decimal or exponent notation; "inf" and "nan" are refused separately.
  private static final Pattern NUMBER = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  private static final Pattern NOT_FINITE = Pattern.compile("(?i)[+-]?(inf|infinity|nan)");

  private static final String NAME_CHARS = "a-z 0-9 and -";
  private static final String OPTION_CHARS = "a-z 0-9 and _";
  private static final List<String> USER_DATA_PREFIXES = List.of("user_data_option_", "user_data_file_");
  private static final String MACHINEFEATURES_PREFIX = "machinefeatures_option_";

  /** One file's text as read. */
  record Source(Path path, String text) {}

  /** The files that were there, in read order, and what could not be read. */
  record Sources(List<Source> files, List<String> warnings) {}

  private final Document doc;
  private final Host host;
  private final VacuumPipes pipes;
  private final String factoryName;
  private final List<String> warnings = new ArrayList<>();
  // The origins given to values that came from a pipe: an error at one of them drops that machinetype only.
  private final Set<Origin> pipeOrigins = new HashSet<>();

  private VacConfReader(Document doc, Host host, VacuumPipes pipes, List<String> loadWarnings) {
    this.doc = doc;
    this.host = host;
    this.pipes = pipes;
    this.factoryName = IniParser.asciiLower(host.factoryName().trim());
    warnings.addAll(loadWarnings);
  }

  /**
   * Reads and validates the factory's vac.conf files.
   *
   * @throws VacConfException naming the file and line at fault, or what to add where
   */
  public static VacConf read(VacConfPaths paths, Host host) throws VacConfException {
    return read(paths, host, VacuumPipes.cacheOnly(host.stateDir()));
  }

  /**
   * Reads and validates the factory's vac.conf files, taking the pipes from {@code pipes}: the
   * cache only ({@link VacuumPipes#cacheOnly}, what {@link #read(VacConfPaths, Host)} does, as
   * Vac's responder and {@code vac} command did) or fetched when due ({@link VacuumPipes#fetching}).
   *
   * @throws VacConfException naming the file and line at fault, or what to add where
   */
  public static VacConf read(VacConfPaths paths, Host host, VacuumPipes pipes) throws VacConfException {
    return interpret(load(paths), paths, host, pipes);
  }

  /**
   * The paths Vac would read, in its order, that exist now: {@code dir/*.conf} sorted by name,
   * then {@code file}, then {@code run-file}.
   */
  public static List<Path> files(VacConfPaths paths) {
    List<Path> files = new ArrayList<>(dropIns(paths.dir(), new ArrayList<>()));
    for (Path p : List.of(paths.file(), paths.runFile())) {
      if (Files.isRegularFile(p)) {
        files.add(p);
      }
    }
    return files;
  }

  /** Reads the files' text; the watcher compares it to decide whether to re-interpret. */
  static Sources load(VacConfPaths paths) {
    List<String> warnings = new ArrayList<>();
    List<Path> candidates = new ArrayList<>(dropIns(paths.dir(), warnings));
    candidates.add(paths.file());
    candidates.add(paths.runFile());
    List<Source> sources = new ArrayList<>();
    for (Path p : candidates) {
      if (Files.isDirectory(p)) {
        continue;
      }
      try {
        sources.add(new Source(p, IniParser.decode(Files.readAllBytes(p))));
      } catch (NoSuchFileException e) {
        // Vac skips files that are not there.
      } catch (IOException e) {
        warnings.add(p + ": cannot be read (" + e + "); skipped, as Vac skipped it");
      }
    }
    return new Sources(List.copyOf(sources), List.copyOf(warnings));
  }

  /** The {@code *.conf} entries of the drop-in directory, sorted by name as Vac did. */
  private static List<Path> dropIns(Path dir, List<String> warnings) {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (entry.getFileName().toString().endsWith(".conf") && !Files.isDirectory(entry)) {
          found.add(entry);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return found;
    } catch (IOException e) {
      warnings.add(dir + ": cannot be listed (" + e + "); its *.conf files are skipped");
      return found;
    }
    found.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    return found;
  }

  static VacConf interpret(Sources sources, VacConfPaths paths, Host host) throws VacConfException {
    return interpret(sources, paths, host, VacuumPipes.cacheOnly(host.stateDir()));
  }

  static VacConf interpret(Sources sources, VacConfPaths paths, Host host, VacuumPipes pipes)
      throws VacConfException {
    IniParser parser = new IniParser();
    for (Source source : sources.files()) {
      parser.parse(source.path().toString(), source.text());
    }
    List<Path> files = sources.files().stream().map(Source::path).toList();
    return new VacConfReader(parser.document(), host, pipes, sources.warnings()).conf(files, paths);
  }

  private VacConf conf(List<Path> files, VacConfPaths paths) throws VacConfException {
    if (factoryName.isEmpty() || !factoryName.contains(".")) {
      throw new VacConfException("this factory's name '" + host.factoryName() + "' is not a fully qualified"
          + " domain name: Vac factories need one (set vacuum.factory-name, or the host name, to e.g. f1.example.com)");
    }
    Section settingsSection = doc.section("settings").orElseThrow(() -> noSettings(files, paths));
    Options settingsOptions = new Options(settingsSection);
    VacSettings settings = settings(settingsSection, settingsOptions);
    settingsOptions.warnUnknown(SETTINGS_OPTIONS, List.of("user_data_option_", "user_data_file_", MACHINEFEATURES_PREFIX));

    SortedMap<String, Machinetype> machinetypes = new TreeMap<>();
    SortedMap<String, VacuumPipe> pipes = new TreeMap<>();
    Map<String, Section> typeSections = new LinkedHashMap<>();
    Map<String, Section> pipeSections = new LinkedHashMap<>();
    Map<String, Tentative> tentative = new LinkedHashMap<>();
    for (Section section : doc.sections().values()) {
      if (section.name().equals("settings")) {
        continue;
      }
      Origin at = section.headers().get(0);
      String[] words = splitFirstWord(IniParser.asciiLower(section.name()));
      String kind = words.length > 0 ? words[0] : "";
      String name = words.length > 1 ? words[1] : null;
      if (words.length == 1 && kind.equals("factories")) {
        throw VacConfException.at(at, "a [factories] section is no longer read: list the factories in [settings]"
            + " as factories = FQDN FQDN ... (see the Admin Guide)");
      }
      if (words.length == 1 && kind.equals("targetshares")) {
        throw VacConfException.at(at, "a [targetshares] section is no longer read: give each machinetype its share"
            + " as target_share = N in its [machinetype NAME] section (they may still be grouped in a file of their own)");
      }
      switch (kind) {
        case "machinetype", "vmtype" -> {
          requireName(at, section, kind, name, "machinetype name");
          if (kind.equals("vmtype")) {
            warn(at, "[vmtype " + name + "] is deprecated: use [machinetype " + name + "]");
          }
          Section earlier = typeSections.putIfAbsent(name, section);
          if (earlier != null) {
            throw VacConfException.at(at, "[" + section.name() + "] defines machinetype '" + name + "' again (also ["
                + earlier.name() + "] at " + earlier.headers().get(0) + "): merge them into one [machinetype " + name + "]");
          }
          tentative.put(name, tentative(name, section, settings));
        }
        case "vacuum_pipe" -> {
          requireName(at, section, kind, name, "vacuum_pipe prefix");
          Section earlier = pipeSections.putIfAbsent(name, section);
          if (earlier != null) {
            throw VacConfException.at(at, "[" + section.name() + "] defines vacuum_pipe '" + name + "' again (also ["
                + earlier.name() + "] at " + earlier.headers().get(0) + "): merge them into one [vacuum_pipe " + name + "]");
          }
          pipes.put(name, pipe(name, section));
          new Options(section).warnUnknown(pipeSectionOptions(), USER_DATA_PREFIXES);
        }
        default -> warn(at, "[" + section.name() + "] is not a Vac section ([settings], [machinetype NAME],"
            + " [vacuum_pipe PREFIX]); ignored");
      }
    }

    // Refuse before fetching anything when a section no pipe could add to is bad.
    for (Tentative t : tentative.values()) {
      if (t.error() != null && pipes.keySet().stream().noneMatch(prefix -> t.name().startsWith(prefix + "-"))) {
        throw t.error();
      }
    }
    Map<String, FromPipe> fromPipes = new LinkedHashMap<>();
    List<String> pipeDigests = new ArrayList<>();
    for (VacuumPipe pipe : pipes.values()) {
      expandPipe(pipe, pipeSections.get(pipe.prefix()), typeSections, fromPipes, pipeDigests);
    }
    // A section a pipe adds to is built again below with the pipe's values: forget its lone reading.
    List<Tentative> superseded = new ArrayList<>(tentative.values());
    Collections.reverse(superseded);
    for (Tentative t : superseded) {
      if (fromPipes.containsKey(t.name())) {
        warnings.subList(t.firstWarning(), t.endWarning()).clear();
      }
    }
    for (Tentative t : tentative.values()) {
      if (!fromPipes.containsKey(t.name())) {
        if (t.error() != null) {
          throw t.error();
        }
        machinetypes.put(t.name(), t.machinetype());
      }
    }
    for (FromPipe p : fromPipes.values()) {
      Machinetype m = pipeMachinetype(p, typeSections.get(p.generated().name()), settings);
      if (m != null) {
        machinetypes.put(m.name(), m);
      }
    }
    String fingerprint = pipeDigests.isEmpty() ? doc.fingerprint() : combined(doc.fingerprint(), pipeDigests);
    return new VacConf(settings, Collections.unmodifiableSortedMap(machinetypes), Collections.unmodifiableSortedMap(pipes),
        List.copyOf(files), List.copyOf(new LinkedHashSet<>(warnings)), fingerprint);
  }

  /**
   * A {@code [machinetype NAME]} read on its own, in file order (so its warnings stay in order):
   * kept unless a pipe turns out to give NAME. {@code warnings[firstWarning, endWarning)} are its warnings.
   */
  private record Tentative(String name, Machinetype machinetype, VacConfException error, int firstWarning,
      int endWarning) {}

  private Tentative tentative(String name, Section section, VacSettings settings) {
    int first = warnings.size();
    try {
      Options options = new Options(section);
      Machinetype m = machinetype(name, options, settings, null);
      options.warnUnknown(MACHINETYPE_OPTIONS, USER_DATA_PREFIXES);
      return new Tentative(name, m, null, first, warnings.size());
    } catch (VacConfException e) {
      return new Tentative(name, null, e, first, warnings.size());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pipes expanded

  /** What a [vacuum_pipe] section may hold: its own two options and any machinetype option. */
  private static Set<String> pipeSectionOptions() {
    Set<String> known = new HashSet<>(MACHINETYPE_OPTIONS);
    known.add("target_share");
    return Set.copyOf(known);
  }

  /** One machinetype a pipe gives, with where it came from. */
  private record FromPipe(VacuumPipe pipe, Section pipeSection, PipeExpansion.Generated generated) {}

  private void expandPipe(VacuumPipe pipe, Section section, Map<String, Section> typeSections,
      Map<String, FromPipe> fromPipes, List<String> pipeDigests) {
    Origin at = section.headers().get(0);
    String label = "[vacuum_pipe " + pipe.prefix() + "] ";
    VacuumPipes.Loaded loaded = pipes.load(pipe.prefix(), pipe.vacuumPipeUrl());
    loaded.warnings().forEach(w -> warn(at, label + w));
    if (loaded.content() == null) {
      return;
    }
    pipeDigests.add(pipe.prefix() + " " + pipe.vacuumPipeUrl() + " " + loaded.content().digest());
    PipeExpansion.Result result = PipeExpansion.expand(pipe, loaded.content(), (name, option) -> {
      Section local = typeSections.get(name);
      return (local != null && local.options().containsKey(option)) || section.options().containsKey(option);
    });
    result.warnings().forEach(w -> warn(at, label + w));
    for (PipeExpansion.Generated g : result.machinetypes()) {
      FromPipe earlier = fromPipes.putIfAbsent(g.name(), new FromPipe(pipe, section, g));
      if (earlier != null) {
        warn(at, label + "pipe " + pipe.vacuumPipeUrl() + " gives machinetype " + g.name() + ", which [vacuum_pipe "
            + earlier.pipe().prefix() + "] already gives: skipped (choose prefixes that cannot collide)");
      }
    }
  }

  /**
   * A machinetype from a pipe: the pipe's values under the {@code [vacuum_pipe]} section's under
   * the site's {@code [machinetype NAME]}; null (with a warning) if a value from the pipe is unusable.
   */
  private Machinetype pipeMachinetype(FromPipe p, Section local, VacSettings settings) throws VacConfException {
    PipeExpansion.Generated g = p.generated();
    VacuumPipe pipe = p.pipe();
    Origin fromPipe = new Origin("pipe " + pipe.vacuumPipeUrl() + " machinetypes[" + g.entry() + "] (" + g.name() + ")", 0);
    pipeOrigins.add(fromPipe);
    Origin pipeHeader = p.pipeSection().headers().get(0);

    Map<String, Value> items = new LinkedHashMap<>(doc.defaults());
    Map<String, Value> own = new LinkedHashMap<>();
    g.options().forEach((name, value) -> own.put(name, new Value(value, fromPipe)));
    own.put("target_share", new Value(Double.toString(g.targetShare()), fromPipe));
    // Vac's rule: every machinetype of a pipe shares the prefix's directory (and its files/).
    own.put("machinetype_path", new Value(host.stateDir().resolve("machinetypes").resolve(pipe.prefix()).toString(),
        pipeHeader));
    p.pipeSection().options().forEach((name, value) -> {
      if (!name.equals("vacuum_pipe_url") && !name.equals("target_share")) {
        own.put(name, value);
      }
    });
    if (local != null) {
      own.putAll(local.options());
    }
    items.putAll(own);
    String label = "[machinetype " + g.name() + "] (from [vacuum_pipe " + pipe.prefix() + "])";
    Options options = new Options(label, local != null ? local.headers().get(0) : pipeHeader, items, own);
    int warned = warnings.size();
    try {
      Machinetype m = machinetype(g.name(), options, settings, pipe.prefix());
      if (local != null) {
        new Options(local).warnUnknown(MACHINETYPE_OPTIONS, USER_DATA_PREFIXES);
      }
      return m;
    } catch (VacConfException e) {
      if (e.origin().isEmpty() || !pipeOrigins.contains(e.origin().get())) {
        throw e;
      }
      // Warnings about a machinetype that is not made would only confuse.
      warnings.subList(warned, warnings.size()).clear();
      warn(pipeHeader, "[vacuum_pipe " + pipe.prefix() + "] " + e.getMessage() + "; machinetype " + g.name()
          + " is not made (set the option in [machinetype " + g.name() + "] to override the pipe)");
      return null;
    }
  }

  private static String combined(String docFingerprint, List<String> pipeDigests) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      md.update(docFingerprint.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      for (String d : pipeDigests) {
        md.update((byte) 0);
        md.update(d.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private VacConfException noSettings(List<Path> files, VacConfPaths paths) {
    String add = "add a [settings] section with at least vac_space = NAME (the space's FQDN-like name,"
        + " e.g. vac01.example.com)";
    if (files.isEmpty()) {
      return new VacConfException("no vac.conf file found (looked for " + paths.dir() + "/*.conf, " + paths.file()
          + " and " + paths.runFile() + "): create " + paths.file() + " and " + add);
    }
    return new VacConfException("no [settings] section in " + files.stream().map(Path::toString)
        .collect(Collectors.joining(", ")) + ": " + add + " (the name is case-sensitive)");
  }

  private static void requireName(Origin at, Section section, String kind, String name, String what)
      throws VacConfException {
    if (name == null) {
      throw VacConfException.at(at, "[" + section.name() + "] has no name: write [" + kind + " NAME]");
    }
    if (!onlyChars(name, "abcdefghijklmnopqrstuvwxyz0123456789-")) {
      throw VacConfException.at(at, what + " '" + name + "' in [" + section.name() + "] may contain only " + NAME_CHARS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // [settings]

  private static final Set<String> SETTINGS_OPTIONS = Set.of(
      "vac_space", "factories", "udp_timeout_seconds", "mb_per_processor", "mb_per_cpu", "mb_per_machine",
      "hs06_per_processor", "hs06_per_cpu", "processors_per_superslot", "cpu_per_machine", "vcpu_per_machine",
      "total_processors", "cpu_total", "overload_per_processor", "overload_per_cpu", "shutdown_time", "draining",
      "gocdb_sitename", "gocdb_cert_file", "gocdb_key_file", "description", "version_logger", "vacmon_hostport",
      "volume_group", "disk_gb_per_processor", "disk_gb_per_cpu", "scratch_gb", "root_public_key",
      "singularity_user", "fix_networking", "forward_dev", "domain_type", "total_machines", "delete_old_files",
      "cycle_seconds");

  private VacSettings settings(Section section, Options s) throws VacConfException {
    Value spaceValue = s.get("vac_space");
    if (spaceValue == null) {
      String also = section.headers().size() > 1
          ? " (nor has any other [settings] part: " + section.headers().subList(1, section.headers().size()).stream()
              .map(Origin::toString).collect(Collectors.joining(", ")) + ")"
          : "";
      throw VacConfException.at(section.headers().get(0), "[settings] has no vac_space" + also
          + ": add vac_space = NAME, the space's FQDN-like name (e.g. vac01.example.com), which is not a factory's name");
    }
    String space = spaceValue.text();
    if (space.isEmpty()) {
      throw VacConfException.at(spaceValue.origin(), "vac_space is empty: give the space's FQDN-like name,"
          + " e.g. vac01.example.com");
    }
    if (IniParser.asciiLower(space).equals(factoryName)) {
      throw VacConfException.at(spaceValue.origin(), "vac_space '" + space + "' is this factory's own name: the space"
          + " needs a name of its own, e.g. vac01." + domainOf(factoryName));
    }

    List<String> factories = new ArrayList<>();
    Value factoriesValue = s.get("factories");
    if (factoriesValue != null) {
      for (String f : words(IniParser.asciiLower(factoriesValue.text()))) {
        String fqdn = canonicalFactory(f);
        if (!factories.contains(fqdn)) {
          factories.add(fqdn);
        }
      }
      if (!factories.isEmpty() && !factories.contains(factoryName)) {
        warn(factoriesValue.origin(), "factories does not list this factory (" + factoryName
            + "); Vac's census then leaves out its own machines");
      }
    }

    double udpTimeout = 10.0;
    Value udp = s.get("udp_timeout_seconds");
    if (udp != null) {
      udpTimeout = number(udp, "udp_timeout_seconds", 0);
      if (udpTimeout == 0) {
        throw VacConfException.at(udp.origin(), "udp_timeout_seconds must be more than 0");
      }
    }

    Named mb = alias(s, "mb_per_processor", "mb_per_cpu", "mb_per_processor");
    int mbPerProcessor = mb == null ? 2048 : wholeNumber(mb, 1);
    Value mbPerMachine = s.get("mb_per_machine");
    if (mbPerMachine != null) {
      warn(mbPerMachine.origin(), "mb_per_machine was never read by Vac (its example file had it by mistake); ignored:"
          + " use mb_per_processor");
    }

    Named hs06 = alias(s, "hs06_per_processor", "hs06_per_cpu", "hs06_per_processor");
    Double hs06PerProcessor = null;
    if (hs06 != null) {
      hs06PerProcessor = number(hs06.value(), hs06.name(), 0);
      if (hs06PerProcessor == 0) {
        throw VacConfException.at(hs06.value().origin(), hs06.name() + " must be more than 0 (leave it out if unknown)");
      }
    }

    // Vac let processors_per_superslot override its old names, unlike the other renamed options.
    Named superslot = alias(s, "processors_per_superslot", "processors_per_superslot", "vcpu_per_machine",
        "cpu_per_machine");
    int processorsPerSuperslot = superslot == null ? 1 : wholeNumber(superslot, 1);

    Named total = alias(s, "total_processors", "cpu_total", "total_processors");
    int totalProcessors = host.processorCount();
    if (total != null) {
      totalProcessors = wholeNumber(total, 0);
      if (totalProcessors > host.processorCount()) {
        throw VacConfException.at(total.value().origin(), total.name() + " " + totalProcessors + " is more than the "
            + host.processorCount() + " processors counted on this factory");
      }
    }

    Named overload = alias(s, "overload_per_processor", "overload_per_cpu", "overload_per_processor");
    double overloadPerProcessor = overload == null
        ? DEFAULT_OVERLOAD_PER_PROCESSOR
        : number(overload.value(), overload.name(), 0);

    Long shutdownTime = null;
    Value shutdown = s.get("shutdown_time");
    if (shutdown != null) {
      if (!WHOLE_NUMBER.matcher(shutdown.text()).matches()) {
        throw VacConfException.at(shutdown.origin(), "shutdown_time '" + shutdown.text()
            + "' is not a Unix time (whole seconds since 1970, e.g. from date +%s -d '...')");
      }
      shutdownTime = wholeNumberLong(shutdown, "shutdown_time", 0);
    }

    boolean draining = bool(s.get("draining"), "draining", false);

    Value versionLoggerValue = s.get("version_logger");
    int versionLogger = 1;
    if (versionLoggerValue != null) {
      String v = IniParser.asciiLower(versionLoggerValue.text());
      if (v.equals("true") || v.equals("false")) {
        versionLogger = v.equals("true") ? 1 : 0;
        warn(versionLoggerValue.origin(), "version_logger now takes a number of reports per day: '"
            + versionLoggerValue.text() + "' means " + versionLogger);
      } else if (WHOLE_NUMBER.matcher(v).matches()) {
        versionLogger = wholeNumber(new Named("version_logger", versionLoggerValue), 0);
      } else {
        versionLogger = 0;
        warn(versionLoggerValue.origin(), "version_logger '" + versionLoggerValue.text()
            + "' is not a number of reports per day; 0 (none) is used, as Vac did");
      }
    }

    List<String> vacmons = new ArrayList<>();
    Value vacmon = s.get("vacmon_hostport");
    if (vacmon != null) {
      for (String hostport : words(IniParser.asciiLower(vacmon.text()))) {
        if (!VACMON_HOSTPORT.matcher(hostport).matches()) {
          throw VacConfException.at(vacmon.origin(), "vacmon_hostport entry '" + hostport
              + "' is not host.domain:port (e.g. vacmon.gridpp.ac.uk:8884)");
        }
        vacmons.add(hostport);
      }
    }

    String volumeGroup = optional(s, "volume_group");
    if (volumeGroup != null) {
      if (!host.volumeGroupExists().test(volumeGroup)) {
        throw VacConfException.at(s.get("volume_group").origin(), "volume_group '" + volumeGroup
            + "' does not exist on this factory: create it (vgcreate) or remove the option");
      }
    } else if (host.volumeGroupExists().test(DEFAULT_VOLUME_GROUP)) {
      volumeGroup = DEFAULT_VOLUME_GROUP;
    }

    Named disk = alias(s, "disk_gb_per_processor", "scratch_gb", "disk_gb_per_cpu", "disk_gb_per_processor");
    Integer diskGbPerProcessor = disk == null ? null : wholeNumber(disk, 0);

    String rootPublicKey = s.string("root_public_key");
    if (rootPublicKey == null || rootPublicKey.isEmpty()) {
      rootPublicKey = DEFAULT_ROOT_PUBLIC_KEY;
    }

    Value singularity = s.get("singularity_user");
    String singularityUser = null;
    if (singularity != null) {
      singularityUser = singularity.text();
      OptionalLong uid = host.userId().apply(singularityUser);
      if (uid.isEmpty()) {
        throw VacConfException.at(singularity.origin(), "singularity_user '" + singularityUser
            + "' does not exist in the passwd database: create that user or remove the option");
      }
      if (uid.getAsLong() == 0) {
        throw VacConfException.at(singularity.origin(), "singularity_user '" + singularityUser + "' is root:"
            + " Vac kills every process of this user outside its containers, so use a dedicated unprivileged user");
      }
    }

    boolean fixNetworking = bool(s.get("fix_networking"), "fix_networking", true);

    for (String gone : List.of("domain_type", "total_machines", "delete_old_files", "cycle_seconds")) {
      Value v = s.get(gone);
      if (v != null && s.isOwn(gone)) {
        warn(v.origin(), switch (gone) {
          case "domain_type" -> "domain_type is no longer used (KVM only); remove it";
          case "total_machines" -> "total_machines is no longer used: total_processors limits the machines";
          case "delete_old_files" -> "delete_old_files is no longer used: old files are always deleted";
          default -> "cycle_seconds is ignored (vacuum reacts to events rather than cycling)";
        });
      }
    }

    Map<String, String> userDataOptions = new TreeMap<>();
    Map<String, String> userDataFiles = new TreeMap<>();
    userData(s, userDataOptions, userDataFiles);
    Map<String, String> machinefeatures = new TreeMap<>();
    for (Map.Entry<String, Value> e : s.withPrefix(MACHINEFEATURES_PREFIX).entrySet()) {
      requireOptionName(e.getKey(), e.getValue(), "[settings]");
      machinefeatures.put(e.getKey().substring(MACHINEFEATURES_PREFIX.length()), e.getValue().text());
    }

    return new VacSettings(
        space,
        List.copyOf(factories),
        udpTimeout,
        mbPerProcessor,
        hs06PerProcessor,
        processorsPerSuperslot,
        totalProcessors,
        overloadPerProcessor,
        shutdownTime,
        draining,
        optional(s, "gocdb_sitename"),
        optional(s, "gocdb_cert_file"),
        optional(s, "gocdb_key_file"),
        optional(s, "description"),
        versionLogger,
        List.copyOf(vacmons),
        volumeGroup,
        diskGbPerProcessor,
        Path.of(rootPublicKey),
        singularityUser,
        fixNetworking,
        optional(s, "forward_dev"),
        Collections.unmodifiableMap(userDataOptions),
        Collections.unmodifiableMap(userDataFiles),
        Collections.unmodifiableMap(machinefeatures));
  }

  /** Vac's canonicalFQDN: {@code .} is this factory, a name without a dot gets this factory's domain. */
  private String canonicalFactory(String name) {
    if (name.equals(".")) {
      return factoryName;
    }
    return name.contains(".") ? name : name + "." + domainOf(factoryName);
  }

  private static String domainOf(String fqdn) {
    return fqdn.substring(fqdn.indexOf('.') + 1);
  }

  // ---------------------------------------------------------------------------------------------
  // [machinetype NAME]

  private static final Set<String> MACHINETYPE_OPTIONS = Set.of(
      "machinetype_path", "target_share", "machine_model", "vm_model", "root_image", "user_data", "user_data_proxy",
      "legacy_proxy", "min_processors", "max_processors", "max_wallclock_seconds", "min_wallclock_seconds",
      "backoff_seconds", "fizzle_seconds", "heartbeat_file", "heartbeat_seconds", "accounting_fqan", "machinegroup",
      "machines_dir_days", "machineoutputs_days", "disk_gb_per_processor", "root_device", "scratch_device",
      "image_signing_dn", "cernvm_signing_dn", "container_command", "cvmfs_repositories", "tmp_binds",
      "root_public_key", "rootpublickey", "log_machineoutputs", "user_data_proxy_cert", "user_data_proxy_key",
      "prolog", "epilog", "shutdown_command", "vacuum_pipe_url");

  private Machinetype machinetype(String name, Options t, VacSettings settings, String pipePrefix)
      throws VacConfException {
    String pathValue = t.string("machinetype_path");
    Path machinetypePath = pathValue == null || pathValue.isEmpty()
        ? host.stateDir().resolve("machinetypes").resolve(name)
        : Path.of(pathValue);

    Named signing = alias(t, "image_signing_dn", "cernvm_signing_dn", "image_signing_dn");
    String imageSigningDn = signing == null || signing.value().text().isEmpty() ? null : signing.value().text();

    Value shareValue = t.get("target_share");
    double targetShare = shareValue == null ? 0.0 : number(shareValue, "target_share", 0);

    Named modelValue = alias(t, "machine_model", "vm_model", "machine_model");
    MachineModel model = MachineModel.CERNVM3;
    if (modelValue != null) {
      model = Arrays.stream(MachineModel.values())
          .filter(m -> m.vacName().equals(modelValue.value().text()))
          .findFirst()
          .orElseThrow(() -> VacConfException.at(modelValue.value().origin(), modelValue.name() + " '"
              + modelValue.value().text() + "' is not a machine model Vac knows: use one of "
              + Arrays.stream(MachineModel.values()).map(MachineModel::vacName).collect(Collectors.joining(", "))));
    }

    Value rootImageValue = t.get("root_image");
    String rootImage = rootImageValue == null ? null : rootImageValue.text();
    if (rootImage != null && rootImage.startsWith("docker://") && model != MachineModel.DOCKER) {
      throw VacConfException.at(rootImageValue.origin(), "root_image '" + rootImage + "' is a Docker image, which only"
          + " machine_model = docker can run (this machinetype's model is " + model.vacName() + ")");
    }

    String rootDevice = device(t, "root_device", "vda");
    // Vac never stored a configured scratch_device (reference/vac.md §10.2 #4); vacuum does.
    String scratchDevice = device(t, "scratch_device", "vdb");

    for (String old : List.of("rootpublickey", "root_public_key")) {
      Value v = t.get(old);
      if (v != null && t.isOwn(old)) {
        warn(v.origin(), old + " in " + t.label() + " is deprecated and ignored: use root_public_key in [settings]");
      }
    }

    String userData = t.string("user_data");
    String containerCommand = t.string("container_command");
    if (containerCommand == null) {
      containerCommand = "/user_data";
    }
    Value tmpBindsValue = t.get("tmp_binds");
    List<String> tmpBinds = tmpBindsValue == null ? List.of() : List.copyOf(new LinkedHashSet<>(words(tmpBindsValue.text())));

    Integer diskGbPerProcessor = settings.diskGbPerProcessor();
    Value diskValue = t.get("disk_gb_per_processor");
    if (diskValue != null) {
      if (!WHOLE_NUMBER.matcher(diskValue.text()).matches()) {
        warn(diskValue.origin(), "disk_gb_per_processor '" + diskValue.text() + "' is not a whole number; ignored,"
            + " as Vac ignored it");
      } else {
        int own = wholeNumber(new Named("disk_gb_per_processor", diskValue), 0);
        // Vac's rule: a machinetype may ask for less disk than [settings] gives, never more.
        if (settings.diskGbPerProcessor() == null || own <= settings.diskGbPerProcessor()) {
          diskGbPerProcessor = own;
        } else {
          warn(diskValue.origin(), "disk_gb_per_processor " + own + " is more than [settings]' "
              + settings.diskGbPerProcessor() + "; " + settings.diskGbPerProcessor() + " is used, as in Vac");
        }
      }
    }

    Value minValue = t.get("min_processors");
    Value maxValue = t.get("max_processors");
    int minProcessors = minValue == null ? 1 : wholeNumber(new Named("min_processors", minValue), 1);
    int maxProcessors = maxValue == null ? 1 : wholeNumber(new Named("max_processors", maxValue), 1);
    if (maxProcessors < minProcessors) {
      throw VacConfException.at(maxValue != null ? maxValue.origin() : minValue.origin(), "max_processors "
          + maxProcessors + (maxValue == null ? " (the default)" : "") + " is less than min_processors " + minProcessors);
    }

    Value logOutputs = t.get("log_machineoutputs");
    if (logOutputs != null && t.isOwn("log_machineoutputs")) {
      warn(logOutputs.origin(), "log_machineoutputs is deprecated and ignored: machines_dir_days says how long"
          + " machine directories are kept");
    }
    Named dirDays = alias(t, "machines_dir_days", "machineoutputs_days", "machines_dir_days");
    double machinesDirDays = dirDays == null ? 3.0 : number(dirDays.value(), dirDays.name(), Double.NEGATIVE_INFINITY);

    Value maxWallValue = t.get("max_wallclock_seconds");
    int maxWallclock = maxWallValue == null ? 86400 : wholeNumber(new Named("max_wallclock_seconds", maxWallValue), 1);
    Value minWallValue = t.get("min_wallclock_seconds");
    int minWallclock = minWallValue == null ? maxWallclock
        : wholeNumber(new Named("min_wallclock_seconds", minWallValue), 0);
    int backoff = seconds(t, "backoff_seconds", 10);
    int fizzle = seconds(t, "fizzle_seconds", 600);
    String heartbeatFile = optional(t, "heartbeat_file");
    int heartbeatSeconds = seconds(t, "heartbeat_seconds", 0);

    String accountingFqan = optional(t, "accounting_fqan");
    String machinegroup = optional(t, "machinegroup");
    if (machinegroup == null) {
      machinegroup = accountingFqan != null ? accountingFqan : name;
    }

    Value cvmfsValue = t.get("cvmfs_repositories");
    Set<String> cvmfs = cvmfsValue == null ? Set.of()
        : Collections.unmodifiableSet(new TreeSet<>(words(cvmfsValue.text())));

    Map<String, String> userDataOptions = new TreeMap<>(settings.userDataOptions());
    Map<String, String> userDataFiles = new TreeMap<>(settings.userDataFiles());
    userData(t, userDataOptions, userDataFiles);

    for (String old : List.of("user_data_proxy_cert", "user_data_proxy_key")) {
      Value v = t.get(old);
      if (v != null && t.isOwn(old)) {
        warn(v.origin(), old + " is deprecated and ignored: set user_data_proxy = true and put x509cert.pem and"
            + " x509key.pem in " + machinetypePath);
      }
    }
    boolean userDataProxy = bool(t.get("user_data_proxy"), "user_data_proxy", false);
    boolean legacyProxy = bool(t.get("legacy_proxy"), "legacy_proxy", false);

    for (String removed : List.of("prolog", "epilog", "shutdown_command")) {
      Value v = t.get(removed);
      if (v != null && t.isOwn(removed)) {
        warn(v.origin(), removed + " was removed in Vac 0.17; ignored");
      }
    }
    Value pipeUrl = t.get("vacuum_pipe_url");
    if (pipeUrl != null && t.isOwn("vacuum_pipe_url")) {
      warn(pipeUrl.origin(), "vacuum_pipe_url inside " + t.label() + " is no longer read (since Vac 03.00):"
          + " use a [vacuum_pipe PREFIX] section");
    }

    if (model == MachineModel.SINGULARITY && settings.singularityUser() == null) {
      warn(t.at(), t.label() + " uses machine_model = singularity but [settings] has no singularity_user:"
          + " its machines cannot be created");
    }

    return new Machinetype(
        name,
        targetShare,
        model,
        rootImage,
        userData,
        Collections.unmodifiableMap(userDataOptions),
        Collections.unmodifiableMap(userDataFiles),
        userDataProxy,
        legacyProxy,
        minProcessors,
        maxProcessors,
        maxWallclock,
        minWallclock,
        backoff,
        fizzle,
        heartbeatFile,
        heartbeatSeconds,
        accountingFqan,
        machinegroup,
        machinesDirDays,
        diskGbPerProcessor,
        rootDevice,
        scratchDevice,
        imageSigningDn,
        containerCommand,
        cvmfs,
        tmpBinds,
        machinetypePath,
        pipePrefix);
  }

  private int seconds(Options t, String name, int defaultSeconds) throws VacConfException {
    Value v = t.get(name);
    return v == null ? defaultSeconds : wholeNumber(new Named(name, v), 0);
  }

  private static String device(Options t, String name, String defaultDevice) throws VacConfException {
    Value v = t.get(name);
    if (v == null) {
      return defaultDevice;
    }
    // Vac skipped the whole machinetype with a log line; a silently missing machinetype is worse.
    if (v.text().isEmpty() || !onlyChars(v.text(), "abcdefghijklmnopqrstuvwxyz0123456789")) {
      throw VacConfException.at(v.origin(), name + " '" + v.text() + "' may contain only a-z and 0-9 (e.g. "
          + defaultDevice + ")");
    }
    return v.text();
  }

  /** {@code user_data_option_XXX} and {@code user_data_file_XXX} of one section, by XXX. */
  private static void userData(Options o, Map<String, String> options, Map<String, String> files)
      throws VacConfException {
    for (String prefix : USER_DATA_PREFIXES) {
      for (Map.Entry<String, Value> e : o.withPrefix(prefix).entrySet()) {
        requireOptionName(e.getKey(), e.getValue(), o.label());
        (prefix.equals("user_data_option_") ? options : files)
            .put(e.getKey().substring(prefix.length()), e.getValue().text());
      }
    }
  }

  private static void requireOptionName(String name, Value v, String label) throws VacConfException {
    if (!onlyChars(name, "abcdefghijklmnopqrstuvwxyz0123456789_")) {
      throw VacConfException.at(v.origin(), "option name '" + name + "' in " + label + " may contain only "
          + OPTION_CHARS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // [vacuum_pipe PREFIX]

  private VacuumPipe pipe(String prefix, Section section) throws VacConfException {
    Map<String, Value> items = doc.items(section.name());
    Value url = items.get("vacuum_pipe_url");
    if (url == null || url.text().isEmpty()) {
      throw VacConfException.at(url == null ? section.headers().get(0) : url.origin(), "[" + section.name()
          + "] needs vacuum_pipe_url = URL (the pipe's JSON, from the VO)");
    }
    double targetShare = 0.0;
    Value share = items.get("target_share");
    if (share != null) {
      if (NUMBER.matcher(share.text()).matches()) {
        targetShare = number(share, "target_share", 0);
      } else {
        warn(share.origin(), "target_share '" + share.text() + "' of [" + section.name()
            + "] is not a number; 0 is used, as Vac did, so its machinetypes get no share");
      }
    }
    Map<String, String> options = new TreeMap<>();
    items.forEach((name, value) -> {
      if (!name.equals("vacuum_pipe_url") && !name.equals("target_share")) {
        options.put(name, value.text());
      }
    });
    return new VacuumPipe(prefix, url.text(), targetShare, Collections.unmodifiableMap(options));
  }

  // ---------------------------------------------------------------------------------------------
  // Values

  /** An option as found, under the name it was found by (an alias or the current name). */
  private record Named(String name, Value value) {}

  /**
   * Looks up an option known by several names: the first one set, in {@code precedence} order (Vac's),
   * wins. Each deprecated name that is set is warned about, and so is setting more than one.
   */
  private Named alias(Options o, String current, String... precedence) {
    List<Named> set = new ArrayList<>();
    for (String name : precedence) {
      Value v = o.get(name);
      if (v != null) {
        set.add(new Named(name, v));
        if (!name.equals(current) && o.isOwn(name)) {
          warn(v.origin(), name + " is deprecated: use " + current);
        }
      }
    }
    if (set.isEmpty()) {
      return null;
    }
    if (set.size() > 1) {
      Named used = set.get(0);
      warn(used.value().origin(), set.stream().map(n -> n.name() + " (" + n.value().origin() + ")")
          .collect(Collectors.joining(" and ")) + " are set in " + o.label() + "; " + used.name()
          + " is used, as Vac did: keep only " + current);
    }
    return set.get(0);
  }

  private static int wholeNumber(Named n, int min) throws VacConfException {
    long v = wholeNumberLong(n.value(), n.name(), min);
    if (v > Integer.MAX_VALUE) {
      throw VacConfException.at(n.value().origin(), n.name() + " '" + n.value().text() + "' is too large");
    }
    return (int) v;
  }

  private static long wholeNumberLong(Value v, String name, long min) throws VacConfException {
    String text = v.text();
    if (!WHOLE_NUMBER.matcher(text).matches()) {
      throw VacConfException.at(v.origin(), name + " '" + text + "' is not a whole number");
    }
    long n;
    try {
      n = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw VacConfException.at(v.origin(), name + " '" + text + "' is too large");
    }
    requireAtLeast(v, name, n, min);
    return n;
  }

  private static double number(Value v, String name, double min) throws VacConfException {
    String text = v.text();
    if (NOT_FINITE.matcher(text).matches()) {
      throw VacConfException.at(v.origin(), name + " '" + text + "' is not a finite number");
    }
    if (!NUMBER.matcher(text).matches()) {
      throw VacConfException.at(v.origin(), name + " '" + text + "' is not a number");
    }
    double d = Double.parseDouble(text);
    if (Double.isInfinite(d)) {
      throw VacConfException.at(v.origin(), name + " '" + text + "' is too large");
    }
    requireAtLeast(v, name, d, min);
    return d;
  }

  private static void requireAtLeast(Value v, String name, double n, double min) throws VacConfException {
    if (n < min) {
      throw VacConfException.at(v.origin(), name + " '" + v.text() + "' " + (min == 0 ? "must not be negative"
          : "must be at least " + (long) min));
    }
  }

  /**
   * ConfigParser's booleans (yes/no, true/false, on/off, 1/0, any case). Vac compared with a single
   * word instead, so anything else falls back to Vac's result for it, with a warning.
   */
  private boolean bool(Value v, String name, boolean vacFallback) {
    if (v == null) {
      return vacFallback;
    }
    switch (IniParser.asciiLower(v.text())) {
      case "1", "yes", "true", "on":
        return true;
      case "0", "no", "false", "off":
        return false;
      default:
        warn(v.origin(), name + " '" + v.text() + "' is not yes/no, true/false, on/off or 1/0; "
            + (vacFallback ? "true" : "false") + " is used, as Vac did");
        return vacFallback;
    }
  }

  /** An optional string option; empty counts as unset, as it did for Vac's {@code if value:} tests. */
  private static String optional(Options o, String name) {
    String s = o.string(name);
    return s == null || s.isEmpty() ? null : s;
  }

  /** Python's {@code split()}: words between runs of whitespace. */
  private static List<String> words(String s) {
    List<String> words = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      while (i < s.length() && IniParser.isSpace(s.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < s.length() && !IniParser.isSpace(s.charAt(i))) {
        i++;
      }
      if (i > start) {
        words.add(s.substring(start, i));
      }
    }
    return words;
  }

  /** Python's {@code split(None, 1)}: the first word, and the rest after the whitespace that follows it. */
  private static String[] splitFirstWord(String s) {
    int i = 0;
    while (i < s.length() && IniParser.isSpace(s.charAt(i))) {
      i++;
    }
    if (i == s.length()) {
      return new String[0];
    }
    int start = i;
    while (i < s.length() && !IniParser.isSpace(s.charAt(i))) {
      i++;
    }
    String first = s.substring(start, i);
    while (i < s.length() && IniParser.isSpace(s.charAt(i))) {
      i++;
    }
    return i == s.length() ? new String[] {first} : new String[] {first, s.substring(i)};
  }

  private static boolean onlyChars(String s, String allowed) {
    return s.chars().allMatch(c -> allowed.indexOf(c) >= 0);
  }

  private void warn(Origin at, String what) {
    warnings.add(at + ": " + what);
  }

  /** One section's options as ConfigParser showed them, remembering which ones were looked at. */
  private final class Options {
    private final Origin at;
    private final String label;
    private final Map<String, Value> items;
    private final Map<String, Value> own;

    Options(Section section) {
      this("[" + section.name() + "]", section.headers().get(0), doc.items(section.name()), section.options());
    }

    /** Options merged from several places (a pipe's machinetype): {@code own} are those not from [DEFAULT]. */
    Options(String label, Origin at, Map<String, Value> items, Map<String, Value> own) {
      this.at = at;
      this.label = label;
      this.items = items;
      this.own = own;
    }

    String label() {
      return label;
    }

    /** Where the section's (first) header is. */
    Origin at() {
      return at;
    }

    Value get(String name) {
      return items.get(name);
    }

    String string(String name) {
      Value v = items.get(name);
      return v == null ? null : v.text();
    }

    /** Written in the section itself rather than inherited from [DEFAULT]. */
    boolean isOwn(String name) {
      return own.containsKey(name);
    }

    Map<String, Value> withPrefix(String prefix) {
      Map<String, Value> found = new LinkedHashMap<>();
      items.forEach((name, value) -> {
        if (name.startsWith(prefix)) {
          found.put(name, value);
        }
      });
      return found;
    }

    /** Warns about the section's own options that Vac would not have read (typos, misplaced options). */
    void warnUnknown(Set<String> known, List<String> prefixes) {
      own.forEach((name, value) -> {
        if (!known.contains(name) && prefixes.stream().noneMatch(name::startsWith)) {
          warn(value.origin(), name + " is not an option Vac reads in " + label + "; ignored");
        }
      });
    }
  }
}
