package org.vacuum.it.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.VacConf;
import org.vacuum.config.vac.VacConfReader;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.space.CreationPlan;
import org.vacuum.space.SuperslotFill;

/**
 * Share error over a simulated day (time accelerated; the real decision classes, simulated
 * machines): three factories of 16 processors, three machinetypes with shares 3:2:1 whose
 * machines run for 30 min to 4 h (the same sequence of lifetimes per type in both runs). Vac
 * creates at most one machine per factory per 60-s cycle; vacuum decides when a machine ends and
 * fills every free slot. Reports the mean |achieved − target| share of processor-hours and the
 * idle processor-hours.
 */
class ShareErrorBench {

  private static final int FACTORIES = 3;
  private static final int PROCESSORS = 16;
  private static final long DAY = 86_400;
  private static final List<String> TYPES = List.of("t1", "t2", "t3");
  private static final Map<String, Double> SHARES = Map.of("t1", 3.0, "t2", 2.0, "t3", 1.0);

  @TempDir Path dir;

  /** A simulated machine: its factory, type and life. */
  private record Machine(int factory, String type, long start, long end) {}

  private record Outcome(double meanError, double idleProcessorHours, int machines) {}

  @Test
  void shareErrorOverADayVacCyclesAgainstEventDrivenDecisions() throws Exception {
    Path conf = dir.resolve("vac.conf");
    StringBuilder text = new StringBuilder("[settings]\nvac_space = vac01.example.com\noverload_per_processor = 1000\n");
    for (String t : TYPES) {
      text.append("[machinetype ").append(t).append("]\ntarget_share = ").append(SHARES.get(t))
          .append("\nmachine_model = vm-raw\nroot_image = /r.img\nmax_wallclock_seconds = 14400\nfizzle_seconds = 0\n");
    }
    Files.writeString(conf, text);
    VacConf vacConf = VacConfReader.read(new VacConfPaths(dir.resolve("d"), conf, dir.resolve("run")),
        new Host("f1.example.com", PROCESSORS, dir, vg -> false, u -> java.util.OptionalLong.empty()));

    Outcome vac = simulate(vacConf, true);
    Outcome vacuum = simulate(vacConf, false);
    BenchmarkReport.append("Share error over a simulated day (Vac 60-s cycles vs vacuum event-driven)", List.of(
        "- space: " + FACTORIES + " factories × " + PROCESSORS + " processors; shares t1:t2:t3 = 3:2:1; lifetimes "
            + "30 min–4 h, the same per type in both runs; everything starts empty",
        "- Vac (one creation per factory per 60-s cycle): mean |achieved − target| "
            + pct(vac.meanError()) + ", idle " + fmt(vac.idleProcessorHours()) + " processor-hours, "
            + vac.machines() + " machines",
        "- vacuum (decide when a machine ends, fill every free slot): mean |achieved − target| "
            + pct(vacuum.meanError()) + ", idle " + fmt(vacuum.idleProcessorHours()) + " processor-hours, "
            + vacuum.machines() + " machines"));
  }

  /** One simulated day; {@code vacCycles}: one creation per 60-s cycle, else decide at every end. */
  private static Outcome simulate(VacConf conf, boolean vacCycles) {
    Map<String, SplittableRandom> lifetimes = new HashMap<>();
    for (int i = 0; i < TYPES.size(); i++) {
      lifetimes.put(TYPES.get(i), new SplittableRandom(1000 + i));
    }
    SplittableRandom ties = new SplittableRandom(7);
    List<List<Machine>> running = new ArrayList<>();
    for (int f = 0; f < FACTORIES; f++) {
      running.add(new ArrayList<>());
    }
    List<Machine> all = new ArrayList<>();
    // Events: (time, factory); a decision at that time on that factory.
    PriorityQueue<long[]> decisions = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    for (int f = 0; f < FACTORIES; f++) {
      // Vac's factories cycle out of phase with one another.
      decisions.add(new long[] {vacCycles ? f * 20L : 0, f});
    }
    while (!decisions.isEmpty()) {
      long[] d = decisions.poll();
      long now = d[0];
      int f = (int) d[1];
      if (now >= DAY) {
        continue;
      }
      for (List<Machine> r : running) {
        r.removeIf(m -> m.end() <= now);
      }
      List<MachinetypeStatus> space = new ArrayList<>();
      for (int g = 0; g < FACTORIES; g++) {
        for (String t : TYPES) {
          int processors = running.get(g).stream().filter(m -> m.type().equals(t)).mapToInt(m -> 1).sum();
          space.add(new MachinetypeStatus(null, null, null, null, "f" + g, null, now, TYPES.size(), t, 0, processors,
              processors, processors, 0, null, null, null, 14400, 1, null));
        }
      }
      List<CreationPlan.Occupied> own = running.get(f).stream()
          .map(m -> new CreationPlan.Occupied(m.type(), 1, m.end())).toList();
      int free = PROCESSORS - own.size();
      CreationPlan.Plan plan = CreationPlan.decide(new CreationPlan.Inputs(conf, space, own,
          vacCycles ? Math.min(1, free) : free, PROCESSORS, 0, PROCESSORS, false), Instant.ofEpochSecond(now), ties);
      for (SuperslotFill.Creation c : plan.creations()) {
        long life = 1800 + lifetimes.get(c.machinetype()).nextLong(12_600);
        Machine m = new Machine(f, c.machinetype(), now, now + life);
        running.get(f).add(m);
        all.add(m);
        if (!vacCycles) {
          decisions.add(new long[] {m.end(), f});
        }
      }
      if (vacCycles) {
        decisions.add(new long[] {now + 60, f});
      }
    }
    Map<String, Double> used = new HashMap<>();
    double total = 0;
    for (Machine m : all) {
      double hours = (Math.min(m.end(), DAY) - m.start()) / 3600.0;
      used.merge(m.type(), hours, Double::sum);
      total += hours;
    }
    double shareSum = SHARES.values().stream().mapToDouble(Double::doubleValue).sum();
    double error = 0;
    for (String t : TYPES) {
      error += Math.abs(used.getOrDefault(t, 0.0) / total - SHARES.get(t) / shareSum);
    }
    double capacity = FACTORIES * PROCESSORS * DAY / 3600.0;
    return new Outcome(error / TYPES.size(), Math.max(0, capacity - total), all.size());
  }

  private static String pct(double x) {
    return String.format(Locale.ROOT, "%.2f %%", x * 100);
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.1f", x);
  }
}
