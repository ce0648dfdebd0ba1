package org.vacuum.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.vacuum.space.SpaceFixtures.NOW;
import static org.vacuum.space.SpaceFixtures.conf;
import static org.vacuum.space.SpaceFixtures.type;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;

/**
 * Vac's superslots (reference/vac.md §2.6). The types: {@code single} (1 processor, wallclock
 * 1000–2000 s), {@code multi} (8 processors exactly, 3000 s), {@code wide} (2–4 processors, 500 s).
 */
class SuperslotFillTest {

  private static final VacConf CONF = conf(
      type("single", 1, "max_wallclock_seconds = 2000", "min_wallclock_seconds = 1000")
      + type("multi", 1, "min_processors = 8", "max_processors = 8", "max_wallclock_seconds = 3000")
      + type("wide", 1, "min_processors = 2", "max_processors = 4", "max_wallclock_seconds = 500",
          "min_wallclock_seconds = 100"));

  /**
   * {@code superslots} is "endsIn:processors;..." (seconds from now), {@code expected}
   * "type:processors:endsIn" or "-" for nothing.
   */
  @ParameterizedTest(name = "order {0}, superslots {1}, free {2}, pps {3} -> {4}")
  @CsvSource(delimiter = '|', value = {
      // pps 1: every machine is a new superslot of one processor for max_wallclock
      "single,multi | -                | 8 | 1 | single:1:2000",
      "multi,single | -                | 8 | 1 | single:1:2000",
      "wide         | 1500:3           | 5 | 1 | -",
      // a new superslot takes min(free, max_processors, pps)
      "multi,single | -                | 8 | 8 | multi:8:3000",
      "multi,single | -                | 7 | 8 | single:1:2000",
      "wide,single  | -                | 8 | 8 | wide:4:500",
      "wide,single  | -                | 3 | 8 | wide:3:500",
      // an incomplete superslot is filled first, with its shutdown time, if the time left fits
      "single,multi | 1500:3           | 5 | 8 | single:1:1500",
      "multi,single | 1500:3           | 5 | 8 | single:1:1500",
      "wide,single  | 400:5            | 3 | 8 | wide:3:400",
      // a complete superslot is skipped; so is one whose time left fits no type
      "single       | 1500:8;1800:2    | 6 | 8 | single:1:1800",
      "single       | 500:2            | 6 | 8 | -",
      "wide,single  | 2500:2;1200:7    | 7 | 8 | single:1:1200",
      // each superslot visited takes its gap from the free processors
      "single       | 500:6;1500:1     | 3 | 8 | single:1:1500",
      "single       | 500:6;1500:1     | 2 | 8 | -",
  })
  void existingSuperslotsAreFilledFirstThenANewOneIsStarted(String order, String superslots, int free, int pps,
      String expected) {
    List<Machinetype> types = Arrays.stream(order.split(",")).map(n -> CONF.machinetypes().get(n.trim())).toList();
    TreeMap<Long, Integer> slots = new TreeMap<>();
    if (!superslots.equals("-")) {
      for (String s : superslots.split(";")) {
        String[] p = s.split(":");
        slots.put(NOW + Long.parseLong(p[0]), Integer.parseInt(p[1]));
      }
    }
    String got = SuperslotFill.choose(types, slots, free, pps, Instant.ofEpochSecond(NOW))
        .map(c -> c.machinetype() + ":" + c.processors() + ":" + (c.shutdownTime() - NOW))
        .orElse("-");
    assertEquals(expected, got);
  }
}
