package org.vacuum.batch.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * APF's sched chain of one pilot queue: the plugins named by {@code schedplugin}, in order, each
 * fed the previous one's number (the first gets 0). {@link #run} returns the final number (submit
 * if positive, retire if negative) and the steps' messages joined with {@code ;}, e.g. {@code
 * KeepNRunning:in=0,keep=5,running=2,pending=1,retiring=0,ret=2}.
 *
 * <p>{@link #parse} reads APF's queue keys with APF's value rules: {@code None}/{@code none} is an
 * unset parameter, integers are decimal, booleans are {@code true/false/yes/no/on/off/1/0} in any
 * case. Plugin names are case-sensitive as in APF. Every error names the key and the value.
 */
public record SchedChain(List<SchedPlugin> plugins) {

  /** The queue key naming the plugins, a comma-separated ordered list. */
  public static final String SCHEDPLUGIN = "schedplugin";

  /** The factory-level key read by MaxPerFactory (APF's {@code [Factory]} section). */
  public static final String MAXPERFACTORY_MAXIMUM = "maxperfactory.maximum";

  private static final List<String> KNOWN = List.of(KeepNRunning.NAME, Ready.NAME, Fixed.NAME,
      Scale.NAME, MinPerCycle.NAME, MaxPerCycle.NAME, MaxPending.NAME, MinPending.NAME,
      MaxToRun.NAME, MaxPerFactory.NAME);

  // APF plugins vacuum does not carry: they need PanDA site status or condor history.
  private static final List<String> NOT_SUPPORTED = List.of("StatusTest", "StatusOffline",
      "WeightedActivated", "Fillactivated", "Throttle", "KeepNQueueLife", "Null", "MaxToSubmit",
      "MinToSubmit", "WorkQueueResources", "Activated", "Simple", "Trivial");

  public SchedChain {
    plugins = List.copyOf(plugins);
  }

  /** Same as {@link #parse(Map, Map)} with no factory-level keys. */
  public static SchedChain parse(Map<String, String> queueConfig) {
    return parse(queueConfig, Map.of());
  }

  /**
   * Builds the chain of one queue.
   *
   * @param queueConfig the queue section's keys: {@code schedplugin} and {@code sched.<plugin
   *     lower case>.<key>}
   * @param factoryConfig the factory's keys; only {@code maxperfactory.maximum} is read
   * @throws SchedConfigException naming the key and value at fault
   */
  public static SchedChain parse(Map<String, String> queueConfig, Map<String, String> factoryConfig) {
    Objects.requireNonNull(queueConfig, "queueConfig");
    Objects.requireNonNull(factoryConfig, "factoryConfig");
    String list = queueConfig.get(SCHEDPLUGIN);
    if (list == null || list.isBlank()) {
      throw new SchedConfigException(SCHEDPLUGIN, "is not set; name at least one plugin, e.g. KeepNRunning");
    }
    Values queue = new Values(queueConfig);
    Values factory = new Values(factoryConfig);
    List<SchedPlugin> plugins = new ArrayList<>();
    for (String raw : list.split(",")) {
      String name = raw.strip();
      if (name.isEmpty()) {
        throw new SchedConfigException(SCHEDPLUGIN, "'" + list + "' has an empty plugin name");
      }
      plugins.add(plugin(name, list, queue, factory));
    }
    return new SchedChain(plugins);
  }

  private static SchedPlugin plugin(String name, String list, Values queue, Values factory) {
    return switch (name) {
      case KeepNRunning.NAME -> {
        Integer keep = queue.integer("sched.keepnrunning.keep_running");
        if (keep != null && keep < 0) {
          throw new SchedConfigException("sched.keepnrunning.keep_running", "'" + keep + "' is negative");
        }
        yield new KeepNRunning(keep);
      }
      case Ready.NAME -> new Ready(queue.integer("sched.ready.offset", 0));
      case Fixed.NAME -> new Fixed(queue.integer("sched.fixed.pilotspercycle"));
      case Scale.NAME -> new Scale(queue.factor("sched.scale.factor", 1.0));
      case MinPerCycle.NAME -> new MinPerCycle(queue.integer("sched.minpercycle.minimum"));
      case MaxPerCycle.NAME -> new MaxPerCycle(queue.integer("sched.maxpercycle.maximum"));
      case MaxPending.NAME -> new MaxPending(queue.integer("sched.maxpending.maximum"),
          queue.bool("sched.maxpending.allow_negative", true));
      case MinPending.NAME -> new MinPending(queue.integer("sched.minpending.minimum"));
      case MaxToRun.NAME -> new MaxToRun(queue.integer("sched.maxtorun.maximum"));
      case MaxPerFactory.NAME -> new MaxPerFactory(factory.integer(MAXPERFACTORY_MAXIMUM));
      default -> throw unknown(name, list);
    };
  }

  private static SchedConfigException unknown(String name, String list) {
    for (String known : KNOWN) {
      if (known.equalsIgnoreCase(name)) {
        return new SchedConfigException(SCHEDPLUGIN,
            "unknown plugin '" + name + "' in '" + list + "'; plugin names are case-sensitive: did you mean " + known + "?");
      }
    }
    if (NOT_SUPPORTED.contains(name)) {
      return new SchedConfigException(SCHEDPLUGIN,
          "APF plugin '" + name + "' is not supported by vacuum; use " + String.join(", ", KNOWN));
    }
    return new SchedConfigException(SCHEDPLUGIN,
        "unknown plugin '" + name + "' in '" + list + "'; known plugins: " + String.join(", ", KNOWN));
  }

  /**
   * Runs every plugin in order from n = 0.
   *
   * @return the final number and the steps' messages joined with {@code ;}
   */
  public SchedPlugin.Result run(QueueCounts counts) {
    Objects.requireNonNull(counts, "counts");
    int n = 0;
    List<String> messages = new ArrayList<>(plugins.size());
    for (SchedPlugin plugin : plugins) {
      SchedPlugin.Result step = plugin.apply(n, counts);
      n = step.n();
      messages.add(step.message());
    }
    return new SchedPlugin.Result(n, String.join(";", messages));
  }

  /** The plugin names in order, comma-separated as in {@code schedplugin}. */
  @Override
  public String toString() {
    return plugins.stream().map(p -> p.getClass().getSimpleName()).collect(Collectors.joining(", "));
  }

  /** APF's value rules for one configuration section. */
  private record Values(Map<String, String> config) {

    /** The stripped value, or null when absent or spelled None (APF's unset). */
    private String value(String key) {
      String value = config.get(key);
      if (value == null) {
        return null;
      }
      value = value.strip();
      return value.equals("None") || value.equals("none") ? null : value;
    }

    Integer integer(String key) {
      String value = value(key);
      if (value == null) {
        return null;
      }
      try {
        return Integer.valueOf(value);
      } catch (NumberFormatException e) {
        throw new SchedConfigException(key, "'" + value + "' is not an integer");
      }
    }

    int integer(String key, int fallback) {
      Integer value = integer(key);
      return value == null ? fallback : value;
    }

    double factor(String key, double fallback) {
      String value = value(key);
      if (value == null) {
        return fallback;
      }
      double factor;
      try {
        factor = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw new SchedConfigException(key, "'" + value + "' is not a number");
      }
      if (!Double.isFinite(factor) || factor < 0) {
        throw new SchedConfigException(key, "'" + value + "' must be a finite number >= 0");
      }
      return factor;
    }

    boolean bool(String key, boolean fallback) {
      String value = value(key);
      if (value == null) {
        return fallback;
      }
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on", "1" -> true;
        case "false", "no", "off", "0" -> false;
        default -> throw new SchedConfigException(key, "'" + value + "' is not a boolean (true or false)");
      };
    }
  }
}
