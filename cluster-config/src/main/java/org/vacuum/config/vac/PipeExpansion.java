package org.vacuum.config.vac;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * Turns one pipe's entries into machinetype options, as Vac's {@code readConf} did
 * (reference/vac.md §7.3). Pure: the reader gives it the pipe, the {@code [vacuum_pipe]} section
 * and which options the site set itself, and merges the result with the local sections.
 *
 * <p>Rules, Vac's unless marked:
 *
 * <ul>
 *   <li>each entry needs a {@code suffix}; the machinetype is {@code PREFIX-SUFFIX}. An entry
 *       without one is skipped with a warning. <i>vacuum:</i> a suffix that makes a name Vac would
 *       refuse (only a-z 0-9 - are allowed), or one already used in the same pipe, skips the entry
 *       with a warning rather than failing the whole of vac.conf;
 *   <li>the share is {@code S × s_i / Σ s_j} over every entry listed; a missing or unusable share
 *       counts as 0, and all shares are 0 when the sum is 0;
 *   <li>only the options in {@link #ACCEPTED} (and {@code user_data_option_*}, {@code
 *       user_data_file_*}) are taken; others are ignored with a warning;
 *   <li>a pipe value is applied only where the site has not set the option (in {@code [machinetype
 *       PREFIX-SUFFIX]} or in the {@code [vacuum_pipe]} section, under any of its names): local
 *       configuration wins, and that includes a local {@code target_share};
 *   <li>the path rules: {@code user_data_file_*}, {@code cvmfs_repositories} and {@code
 *       heartbeat_file} may not contain {@code /}; {@code user_data} and {@code root_image} may not
 *       contain {@code /../}; a {@code user_data} with a {@code /} must be an http(s) URL; a {@code
 *       root_image} with a {@code /} must start with {@code http://}, {@code https://}, {@code
 *       docker://} or {@code /cvmfs/}. So a VO can only name files the site put in {@code
 *       machinetypes/PREFIX/files/}. <i>vacuum:</i> Vac dropped just the offending value and made
 *       the machinetype anyway (which then failed at creation or ran without the intended file);
 *       here the whole entry is refused with a warning naming the URL and the option. A value the
 *       site overrides locally is not checked, so a site can repair a bad pipe locally;
 *   <li>values become strings as Vac's {@code str()} made them, except: booleans are {@code
 *       true}/{@code false}, whole numbers written as {@code 2.0} become {@code 2}, and a list of
 *       words (for {@code cvmfs_repositories}, {@code tmp_binds}) is joined with spaces
 *       (<i>vacuum:</i> Vac produced Python list syntax). {@code null}s and objects are ignored with
 *       a warning.
 * </ul>
 */
final class PipeExpansion {

  /** The options a pipe entry may set (reference/vac.md §7.3), besides user_data_option_* and user_data_file_*. */
  static final Set<String> ACCEPTED = Set.of(
      "accounting_fqan", "backoff_seconds", "container_command", "cvmfs_repositories", "fizzle_seconds",
      "disk_gb_per_processor", "heartbeat_file", "heartbeat_seconds", "image_signing_dn", "legacy_proxy",
      "machine_model", "max_processors", "max_wallclock_seconds", "min_processors", "min_wallclock_seconds",
      "root_device", "root_image", "scratch_device", "suffix", "target_share", "tmp_binds", "user_data",
      "user_data_proxy");

  // Options known by two names: the site setting either one overrides the pipe.
  private static final Map<String, String> OTHER_NAME = Map.of(
      "machine_model", "vm_model", "image_signing_dn", "cernvm_signing_dn");

  private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-";

  /**
   * One machinetype from the pipe.
   *
   * @param entry the entry's index in the pipe's machinetypes list
   * @param targetShare the share to use unless the site set one ({@code S × s_i / Σ s_j})
   * @param options the pipe's values to apply, by option name (suffix and target_share excluded)
   */
  record Generated(String name, String suffix, int entry, double targetShare, Map<String, String> options) {}

  /** The machinetypes, in the pipe's order, and what to warn about (each naming the URL and the entry). */
  record Result(List<Generated> machinetypes, List<String> warnings) {}

  private PipeExpansion() {}

  /**
   * @param localSet whether the site set option (2nd argument) for machinetype (1st argument)
   *     itself; such options are neither applied nor checked
   */
  static Result expand(VacuumPipe pipe, PipeContent content, BiPredicate<String, String> localSet) {
    List<String> warnings = new ArrayList<>();
    List<Map<String, Object>> entries = content.machinetypes();
    double[] shares = new double[entries.size()];
    double sum = 0;
    for (int i = 0; i < entries.size(); i++) {
      shares[i] = share(entries.get(i).get("target_share"), i, pipe, warnings);
      sum += shares[i];
    }

    List<Generated> generated = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      Map<String, Object> entry = entries.get(i);
      String at = "pipe " + pipe.vacuumPipeUrl() + " machinetypes[" + i + "]";
      Object suffixValue = entry.get("suffix");
      String suffix = suffixValue instanceof String || suffixValue instanceof Number ? string(suffixValue) : null;
      if (suffix == null || suffix.isEmpty()) {
        warnings.add(at + " has no suffix: skipped, as Vac skipped it");
        continue;
      }
      String name = pipe.prefix() + "-" + suffix;
      at = at + " (" + name + ")";
      if (!name.chars().allMatch(c -> NAME_CHARS.indexOf(c) >= 0)) {
        warnings.add(at + ": suffix '" + suffix + "' makes a machinetype name with characters other than a-z 0-9"
            + " and -: skipped");
        continue;
      }
      if (!names.add(name)) {
        warnings.add(at + ": suffix '" + suffix + "' is used by an earlier entry of the same pipe: skipped");
        continue;
      }
      Map<String, String> options = new LinkedHashMap<>();
      String refused = null;
      for (Map.Entry<String, Object> option : new java.util.TreeMap<>(entry).entrySet()) {
        String key = option.getKey();
        if (key.equals("suffix") || key.equals("target_share")) {
          continue;
        }
        boolean userData = key.startsWith("user_data_option_") || key.startsWith("user_data_file_");
        if (!ACCEPTED.contains(key) && !userData) {
          warnings.add(at + ": " + key + " is not an option a pipe may set; ignored");
          continue;
        }
        if (localSet.test(name, key) || (OTHER_NAME.containsKey(key) && localSet.test(name, OTHER_NAME.get(key)))) {
          continue;
        }
        String value = value(option.getValue());
        if (value == null) {
          warnings.add(at + ": " + key + " has a " + (option.getValue() == null ? "null" : "JSON object or nested list")
              + " value; ignored");
          continue;
        }
        String why = pathRule(key, value);
        if (why != null) {
          refused = at + ": " + key + " '" + value + "' " + why + "; the machinetype is refused (set " + key
              + " in [machinetype " + name + "] to override the pipe)";
          break;
        }
        options.put(key, value);
      }
      if (refused != null) {
        warnings.add(refused);
        continue;
      }
      double share = sum > 0 ? pipe.targetShare() * shares[i] / sum : 0.0;
      generated.add(new Generated(name, suffix, i, share, Collections.unmodifiableMap(options)));
    }
    return new Result(List.copyOf(generated), List.copyOf(warnings));
  }

  private static double share(Object value, int i, VacuumPipe pipe, List<String> warnings) {
    if (value == null) {
      return 0;
    }
    double share = Double.NaN;
    if (value instanceof Number n) {
      share = n.doubleValue();
    } else if (value instanceof String s) {
      try {
        share = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        share = Double.NaN;
      }
    }
    if (Double.isFinite(share) && share >= 0) {
      return share;
    }
    warnings.add("pipe " + pipe.vacuumPipeUrl() + " machinetypes[" + i + "]: target_share '" + value
        + "' is not a number of at least 0; 0 is used");
    return 0;
  }

  /**
   * Why a pipe may not give this value for this option, or null if it may (reference/vac.md §7.3).
   * Also refuses {@code .} and {@code ..}, which would name machinetype_path itself or its parent.
   */
  static String pathRule(String option, String value) {
    boolean fileName = option.startsWith("user_data_file_") || option.equals("cvmfs_repositories")
        || option.equals("heartbeat_file");
    if (fileName) {
      if (value.contains("/")) {
        return "may not contain '/' when it comes from a pipe";
      }
      if (!option.equals("cvmfs_repositories") && (value.equals(".") || value.equals(".."))) {
        return "is not a file name";
      }
      return null;
    }
    if (option.equals("user_data") || option.equals("root_image")) {
      if (value.contains("/../") || value.endsWith("/..")) {
        return "may not contain '/../' when it comes from a pipe";
      }
      if (value.equals(".") || value.equals("..")) {
        return "is not a file name";
      }
      if (value.contains("/")) {
        boolean url = value.startsWith("http://") || value.startsWith("https://");
        if (option.equals("user_data") && !url) {
          return "is a path: a pipe may only give an http(s) URL or a file name in the machinetype's files/";
        }
        if (option.equals("root_image") && !url && !value.startsWith("docker://") && !value.startsWith("/cvmfs/")) {
          return "is a path: a pipe may only give an http(s) or docker:// URL, a /cvmfs/ path, or a file name in"
              + " the machinetype's files/";
        }
      }
    }
    return null;
  }

  /** A JSON value as the machinetype parser reads it, or null for values that are not options. */
  static String value(Object v) {
    if (v instanceof List<?> list) {
      List<String> words = new ArrayList<>();
      for (Object item : list) {
        if (item == null || item instanceof List<?> || item instanceof Map<?, ?>) {
          return null;
        }
        words.add(string(item));
      }
      return String.join(" ", words);
    }
    if (v == null || v instanceof Map<?, ?>) {
      return null;
    }
    return string(v);
  }

  private static String string(Object v) {
    if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      double d = ((Number) v).doubleValue();
      if (Double.isFinite(d)) {
        return new BigDecimal(v.toString()).stripTrailingZeros().toPlainString();
      }
    }
    return v.toString();
  }
}
