package org.vacuum.it.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.VacConf;
import org.vacuum.config.vac.VacConfReader;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.space.CreationPlan;
import org.vacuum.space.MachinetypeStatuses;
import org.vacuum.space.SuperslotFill;

/**
 * Share error over a simulated day (time accelerated, seeded, the same workload for both
 * policies; the real decision classes, simulated machines).
 *
 * <p>Three factories of 16 processors and three machinetypes with shares 3:2:1 and their own
 * {@code backoff_seconds}/{@code fizzle_seconds}. While a type has work, the n-th machine of that
 * type lives the n-th lifetime of the type's seeded stream in both runs: 70 % short jobs (2–20
 * min), 30 % long ones (1–8 h), ending {@code 200}. Each type has two seeded no-work windows of 1–3
 * h: a machine created in one ends after 2–6 min with {@code 300 No more work}. Every finished
 * machine goes back through {@link MachinetypeStatuses#remember} into its factory's finishes, so
 * the decisions see the {@code shutdown_message}/{@code shutdown_time} of each type's most recently
 * created finished machine and the {@code num_before_fizzle} of young machines, and back off as
 * Vac does.
 *
 * <p>Vac: each factory runs a 60-s cycle (the three 20 s out of phase); a cycle finalises the
 * factory's own ended machines, polls the space and creates at most one machine. Another
 * factory's machines and finishes are seen as of that factory's last cycle (Vac's responder reads
 * the files its cycle writes: an ended machine counts as running until its factory's next cycle).
 * vacuum: a factory decides when one of its machines ends, when a backed-off type becomes eligible
 * again ({@code nextRestart}), and on its 60-s tick, sees the space as it is, and fills every free
 * slot in one decision.
 *
 * <p>Reported per policy: mean over types of |achieved − target| share of processor-hours over
 * the whole day and averaged over the 24 hourly windows, idle processor-hours, machines created
 * and how many of them ended with 300; then the same day reseeded {@link #SEEDS} times (windows,
 * lifetimes and ties), so a difference can be told from the day-to-day spread.
 */
class ShareErrorBench {

  private static final int FACTORIES = 3;
  private static final int PROCESSORS = 16;
  private static final long DAY = 86_400;
  private static final long HOUR = 3_600;
  private static final long CYCLE = 60;
  private static final long MAX_WALLCLOCK = 8 * HOUR;
  private static final double SHORT_FRACTION = 0.7;
  private static final int SEEDS = 10;
  private static final String SPACE = "vac01.example.com";
  private static final String NO_WORK = "300 No more work";
  private static final String DONE = "200 Intended work completed ok";

  /** A machinetype of the workload: its share and its backoff after an abort. */
  private record Type(String name, double share, int backoffSeconds, int fizzleSeconds) {}

  private static final List<Type> TYPES = List.of(
      new Type("t1", 3.0, 600, 600),
      new Type("t2", 2.0, 900, 300),
      new Type("t3", 1.0, 300, 1200));

  @TempDir Path dir;

  /** A simulated machine: its factory, type, name, planned shutdown, life and last word. */
  private record Machine(int factory, String type, String name, long start, long end, long shutdownTime,
      String message) {}

  private record Outcome(double dayError, double hourlyError, double idleProcessorHours,
      int machines, int aborts, int decisions) {}

  @Test
  void shareErrorOverADayVacCyclesAgainstEventDrivenDecisions() throws Exception {
    Path conf = dir.resolve("vac.conf");
    StringBuilder text = new StringBuilder("[settings]\nvac_space = " + SPACE + "\noverload_per_processor = 1000\n");
    for (Type t : TYPES) {
      text.append("[machinetype ").append(t.name()).append("]\ntarget_share = ").append(t.share())
          .append("\nmachine_model = vm-raw\nroot_image = /r.img\nmax_wallclock_seconds = ").append(MAX_WALLCLOCK)
          .append("\nbackoff_seconds = ").append(t.backoffSeconds())
          .append("\nfizzle_seconds = ").append(t.fizzleSeconds()).append('\n');
    }
    Files.writeString(conf, text);
    VacConf vacConf = VacConfReader.read(new VacConfPaths(dir.resolve("d"), conf, dir.resolve("run")),
        new Host("f1.example.com", PROCESSORS, dir, vg -> false, u -> OptionalLong.empty()));

    Map<String, List<long[]>> noWork = noWorkWindows(0);
    Outcome vac = simulate(vacConf, noWork, true, 0);
    Outcome vacuum = simulate(vacConf, noWork, false, 0);
    // The same day reseeded (windows, lifetimes, ties): is a difference larger than the day-to-day spread?
    List<Outcome> vacs = new ArrayList<>(List.of(vac));
    List<Outcome> vacuums = new ArrayList<>(List.of(vacuum));
    for (long seed = 1; seed < SEEDS; seed++) {
      Map<String, List<long[]>> w = noWorkWindows(seed);
      vacs.add(simulate(vacConf, w, true, seed));
      vacuums.add(simulate(vacConf, w, false, seed));
    }

    List<String> windows = new ArrayList<>();
    List<String> backoffs = new ArrayList<>();
    for (Type t : TYPES) {
      List<String> w = new ArrayList<>();
      for (long[] span : noWork.get(t.name())) {
        w.add(clock(span[0]) + "–" + clock(span[1]));
      }
      windows.add(t.name() + " " + String.join(", ", w));
      backoffs.add(t.name() + " " + t.backoffSeconds() + "/" + t.fizzleSeconds() + " s");
    }
    BenchmarkReport.append("Share error over a simulated day, with short jobs and no-work periods (Vac 60-s cycles vs "
        + "vacuum event-driven)", List.of(
        "- space: " + FACTORIES + " factories × " + PROCESSORS + " processors (1-processor machines), "
            + "everything starts empty; shares t1:t2:t3 = 3:2:1; backoff_seconds/fizzle_seconds " + String.join(", ", backoffs)
            + "; max_wallclock_seconds " + MAX_WALLCLOCK,
        "- lifetimes while a type has work (seeded per type, the n-th machine of a type gets the same one in both "
            + "runs): " + pct0(SHORT_FRACTION) + " uniform 2–20 min, " + pct0(1 - SHORT_FRACTION)
            + " uniform 1–8 h, ending \"" + DONE + "\"",
        "- no-work windows (seeded): " + String.join("; ", windows) + "; a machine created in one ends after 2–6 min "
            + "with \"" + NO_WORK + "\", which the decisions read back as the type's last abort",
        "- error = mean over types of |achieved − target share| of processor-hours, over the whole day (\"day\") and "
            + "time-averaged over the 24 hourly windows (\"hourly\"); targets are the configured shares",
        line("Vac (60-s cycles 20 s apart, one creation per factory per cycle, census as of each factory's last cycle)",
            vac),
        line("vacuum (decide on each machine end, backoff end and 60-s tick, live census, fill every free slot)",
            vacuum),
        "- the same over seeds 0–" + (SEEDS - 1) + " (windows, lifetimes and ties reseeded), mean [min–max]: "
            + spread(vacs, vacuums)));
  }

  private static String line(String policy, Outcome o) {
    return "- " + policy + ": day " + pct(o.dayError()) + ", hourly " + pct(o.hourlyError()) + "; idle "
        + fmt(o.idleProcessorHours()) + " processor-hours; " + o.machines()
        + " machines created, " + o.aborts() + " ended 300; " + o.decisions() + " decisions";
  }

  private static String spread(List<Outcome> vac, List<Outcome> vacuum) {
    int hourlyLower = 0;
    int dayLower = 0;
    for (int i = 0; i < vac.size(); i++) {
      hourlyLower += vacuum.get(i).hourlyError() < vac.get(i).hourlyError() ? 1 : 0;
      dayLower += vacuum.get(i).dayError() < vac.get(i).dayError() ? 1 : 0;
    }
    return "day Vac " + range(vac, Outcome::dayError, true) + " vs vacuum " + range(vacuum, Outcome::dayError, true)
        + " (vacuum lower on " + dayLower + " of " + vac.size() + " days); hourly Vac "
        + range(vac, Outcome::hourlyError, true) + " vs vacuum " + range(vacuum, Outcome::hourlyError, true)
        + " (vacuum lower on " + hourlyLower + " of " + vac.size() + "); idle processor-hours Vac "
        + range(vac, Outcome::idleProcessorHours, false) + " vs vacuum "
        + range(vacuum, Outcome::idleProcessorHours, false);
  }

  private static String range(List<Outcome> outcomes, java.util.function.ToDoubleFunction<Outcome> f, boolean percent) {
    java.util.DoubleSummaryStatistics s = outcomes.stream().mapToDouble(f).summaryStatistics();
    return percent ? pct(s.getAverage()) + " [" + pct(s.getMin()) + "–" + pct(s.getMax()) + "]"
        : fmt(s.getAverage()) + " [" + fmt(s.getMin()) + "–" + fmt(s.getMax()) + "]";
  }

  /** Two no-work windows of 1–3 h per type, between 01:00 and 23:00, from a seed per type. */
  private static Map<String, List<long[]>> noWorkWindows(long seed) {
    Map<String, List<long[]>> windows = new LinkedHashMap<>();
    for (int i = 0; i < TYPES.size(); i++) {
      SplittableRandom random = new SplittableRandom(4242 + i + 100 * seed);
      List<long[]> spans = new ArrayList<>();
      for (int k = 0; k < 2; k++) {
        long length = HOUR + random.nextLong(2 * HOUR + 1);
        long start = HOUR + random.nextLong(DAY - 2 * HOUR - length + 1);
        spans.add(new long[] {start / 60 * 60, (start + length) / 60 * 60});
      }
      spans.sort((a, b) -> Long.compare(a[0], b[0]));
      windows.put(TYPES.get(i).name(), spans);
    }
    return windows;
  }

  private static boolean hasWork(Map<String, List<long[]>> noWork, String type, long t) {
    for (long[] span : noWork.get(type)) {
      if (t >= span[0] && t < span[1]) {
        return false;
      }
    }
    return true;
  }

  /** One factory as the space sees it: its machines not yet finalised, its finishes and its last cycle. */
  private static final class Factory {
    final List<Machine> machines = new ArrayList<>();
    final Map<String, MachineStatus> finishes = new HashMap<>();
    final Set<Long> restarts = new HashSet<>();
    long seenAt;
  }

  /** A decision to make: when, on which factory, and whether it is a periodic tick (which comes back). */
  private record Event(long time, long order, int factory, boolean tick) {}

  /** One simulated day; {@code vacCycles}: Vac's 60-s cycles, else vacuum's event-driven decisions. */
  private static Outcome simulate(VacConf conf, Map<String, List<long[]>> noWork, boolean vacCycles, long seed) {
    Map<String, SplittableRandom> work = new HashMap<>();
    Map<String, SplittableRandom> idle = new HashMap<>();
    for (int i = 0; i < TYPES.size(); i++) {
      work.put(TYPES.get(i).name(), new SplittableRandom(1000 + i + 100 * seed));
      idle.put(TYPES.get(i).name(), new SplittableRandom(2000 + i + 100 * seed));
    }
    SplittableRandom ties = new SplittableRandom(7 + 100 * seed);
    List<Factory> factories = new ArrayList<>();
    for (int f = 0; f < FACTORIES; f++) {
      factories.add(new Factory());
    }
    List<Machine> all = new ArrayList<>();
    long[] order = {0};
    PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.time() != b.time()
        ? Long.compare(a.time(), b.time()) : Long.compare(a.order(), b.order()));
    for (int f = 0; f < FACTORIES; f++) {
      // Factories cycle (or tick) out of phase with one another.
      events.add(new Event(f * CYCLE / FACTORIES, order[0]++, f, true));
    }
    int decisions = 0;
    while (!events.isEmpty()) {
      Event e = events.poll();
      long now = e.time();
      int f = e.factory();
      if (now >= DAY) {
        continue;
      }
      Factory here = factories.get(f);
      if (e.tick()) {
        events.add(new Event(now + CYCLE, order[0]++, f, true));
      } else {
        here.restarts.remove(now);
      }
      // Vac finalises a factory's ended machines in that factory's cycle; vacuum hears of every end at once.
      for (int g = 0; g < FACTORIES; g++) {
        if (!vacCycles || g == f) {
          finalise(factories.get(g), now);
        }
      }
      here.seenAt = now;
      int free = PROCESSORS - here.machines.size();
      if (free == 0) {
        continue;
      }
      decisions++;
      List<MachinetypeStatus> space = new ArrayList<>();
      for (int g = 0; g < FACTORIES; g++) {
        Factory there = factories.get(g);
        long seen = vacCycles ? there.seenAt : now;
        List<MachineStatus> slots = there.machines.stream().map(m -> running(m, seen)).toList();
        space.addAll(MachinetypeStatuses.of(new MachinetypeStatuses.Header(null, null, null, SPACE, "f" + g, null),
            conf, slots, there.finishes, now));
      }
      List<CreationPlan.Occupied> own = here.machines.stream()
          .map(m -> new CreationPlan.Occupied(m.type(), 1, m.shutdownTime())).toList();
      CreationPlan.Plan plan = CreationPlan.decide(new CreationPlan.Inputs(conf, space, own,
          vacCycles ? 1 : free, PROCESSORS, -1, PROCESSORS, false), Instant.ofEpochSecond(now), ties);
      for (SuperslotFill.Creation c : plan.creations()) {
        String type = c.machinetype();
        long life;
        String message;
        if (hasWork(noWork, type, now)) {
          SplittableRandom r = work.get(type);
          life = r.nextDouble() < SHORT_FRACTION ? 120 + r.nextLong(1080 + 1) : HOUR + r.nextLong(7 * HOUR + 1);
          message = DONE;
        } else {
          life = 120 + idle.get(type).nextLong(240 + 1);
          message = NO_WORK;
        }
        life = Math.min(life, c.shutdownTime() - now);
        Machine m = new Machine(f, type, "f" + f + "-" + all.size(), now, now + life, c.shutdownTime(), message);
        here.machines.add(m);
        all.add(m);
        if (!vacCycles) {
          events.add(new Event(m.end(), order[0]++, f, false));
        }
      }
      if (!vacCycles && here.machines.size() < PROCESSORS && plan.nextRestart().isPresent()) {
        long at = plan.nextRestart().get().getEpochSecond() + 1;
        if (here.restarts.add(at)) {
          events.add(new Event(at, order[0]++, f, false));
        }
      }
    }
    return measure(all, decisions);
  }

  /** Moves a factory's machines that have ended by {@code now} into its finishes, as its slots would report them. */
  private static void finalise(Factory factory, long now) {
    factory.machines.removeIf(m -> {
      if (m.end() > now) {
        return false;
      }
      MachinetypeStatuses.remember(factory.finishes, new MachineStatus(null, null, null, SPACE, null, null, now, 0,
          m.name(), MachineStatus.SHUT_DOWN, "vm-raw", null, m.start(), m.start(), m.end(), 1, 0, 0, 0, m.type(),
          m.message(), m.end(), null, null));
      return true;
    });
  }

  /** A running machine as its slot reports it, last heard from at {@code seen}. */
  private static MachineStatus running(Machine m, long seen) {
    return new MachineStatus(null, null, null, SPACE, null, null, seen, 0, m.name(), MachineStatus.RUNNING, "vm-raw",
        null, m.start(), m.start(), seen, 1, 0, 0, 0, m.type(), null, null, null, null);
  }

  private static Outcome measure(List<Machine> all, int decisions) {
    double shareSum = TYPES.stream().mapToDouble(Type::share).sum();
    Map<String, Double> day = new HashMap<>();
    double[][] hourly = new double[(int) (DAY / HOUR)][TYPES.size()];
    int aborts = 0;
    for (Machine m : all) {
      int i = TYPES.indexOf(TYPES.stream().filter(t -> t.name().equals(m.type())).findFirst().orElseThrow());
      long end = Math.min(m.end(), DAY);
      day.merge(m.type(), (end - m.start()) / 3600.0, Double::sum);
      for (long h = m.start() / HOUR; h * HOUR < end; h++) {
        long overlap = Math.min(end, (h + 1) * HOUR) - Math.max(m.start(), h * HOUR);
        hourly[(int) h][i] += overlap / 3600.0;
      }
      if (NO_WORK.equals(m.message())) {
        aborts++;
      }
    }
    double total = day.values().stream().mapToDouble(Double::doubleValue).sum();
    double dayError = 0;
    for (Type t : TYPES) {
      dayError += Math.abs(day.getOrDefault(t.name(), 0.0) / total - t.share() / shareSum);
    }
    double hourError = 0;
    for (double[] hour : hourly) {
      double used = 0;
      for (double typeHours : hour) {
        used += typeHours;
      }
      for (int i = 0; i < TYPES.size(); i++) {
        hourError += Math.abs((used > 0 ? hour[i] / used : 0) - TYPES.get(i).share() / shareSum);
      }
    }
    int n = TYPES.size();
    double capacity = FACTORIES * PROCESSORS * DAY / 3600.0;
    return new Outcome(dayError / n, hourError / (n * hourly.length), Math.max(0, capacity - total), all.size(),
        aborts, decisions);
  }

  private static String clock(long seconds) {
    return String.format(Locale.ROOT, "%02d:%02d", seconds / HOUR, seconds % HOUR / 60);
  }

  private static String pct(double x) {
    return String.format(Locale.ROOT, "%.2f %%", x * 100);
  }

  private static String pct0(double x) {
    return String.format(Locale.ROOT, "%.0f %%", x * 100);
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.1f", x);
  }
}
