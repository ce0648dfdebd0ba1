package org.vacuum.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vacuum.space.SpaceFixtures.NOW;
import static org.vacuum.space.SpaceFixtures.conf;
import static org.vacuum.space.SpaceFixtures.reply;
import static org.vacuum.space.SpaceFixtures.type;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.factory.MachinetypeStatus;

/** Vac's share choice (reference/vac.md §2.3), one table per rule. */
class ShareChoiceTest {

  private static final Instant NOW_INSTANT = Instant.ofEpochSecond(NOW);

  private static List<String> order(VacConf conf, List<MachinetypeStatus> replies, long seed) {
    return ShareChoice.of(conf.machinetypes().values(), replies).rank(NOW_INSTANT, conf.settings().shutdownTime(),
        new SplittableRandom(seed)).order().stream().map(Machinetype::name).toList();
  }

  // score = Σ running_hs06 / target_share; the lowest score goes first.
  @ParameterizedTest(name = "a: {0} hs06 share {1}, b: {2} hs06 share {3} -> {4} first")
  @CsvSource({
      "0,  1, 0,  1, ",
      "4,  1, 2,  1, b",
      "2,  1, 4,  1, a",
      "4,  2, 3,  1, a",
      "10, 3, 2,  1, b",
      "0,  1, 1,  9, a",
      "6,  2, 3,  1, ",
  })
  void theTypeWithTheLowestHs06PerShareGoesFirst(double aHs06, double aShare, double bHs06, double bShare,
      String first) {
    VacConf conf = conf(type("a", aShare) + type("b", bShare));
    List<MachinetypeStatus> replies = List.of(reply("f1", "a", aHs06, 0, null, null),
        reply("f2", "b", bHs06, 0, null, null));
    if (first == null) {
      // Equal scores: a random tie-break, so both orders happen over seeds.
      Set<String> firsts = new HashSet<>();
      for (long seed = 0; seed < 40; seed++) {
        firsts.add(order(conf, replies, seed).get(0));
      }
      assertEquals(Set.of("a", "b"), firsts);
    } else {
      assertEquals(first, order(conf, replies, 1).get(0));
    }
  }

  // The machinegroup's score (the sum over its types) is the first key, the type's own the second.
  @ParameterizedTest(name = "lhcb-a {0}, lhcb-b {1}, atlas {2} -> {3}")
  @CsvSource({
      "1, 0, 0, atlas|lhcb-b|lhcb-a",
      "1, 2, 2, atlas|lhcb-a|lhcb-b",
      "3, 0, 2, atlas|lhcb-b|lhcb-a",
      "1, 2, 4, lhcb-a|lhcb-b|atlas",
  })
  void theMostStarvedMachinegroupGoesFirstThenTheMostStarvedTypeInIt(double a, double b, double atlas,
      String expected) {
    VacConf conf = conf(type("lhcb-a", 1, "machinegroup = lhcb") + type("lhcb-b", 1, "machinegroup = lhcb")
        + type("atlas", 1, "accounting_fqan = /atlas/Role=NULL"));
    List<MachinetypeStatus> replies = List.of(reply("f1", "lhcb-a", a, 0, null, null),
        reply("f1", "lhcb-b", b, 0, null, null), reply("f1", "atlas", atlas, 0, null, null));
    assertEquals(List.of(expected.split("\\|")), order(conf, replies, 3));
  }

  @ParameterizedTest(name = "\"{0}\" is an abort: {1}")
  @CsvSource(delimiter = '|', value = {
      "300 Nothing to do|true",
      "400 Banned|true",
      "500 Problem with the machine|true",
      "600 Grid-wide problem|true",
      "700 Heartbeat file not updated|true",
      "300|true",
      "100 Shutdown as requested|false",
      "200 Intended work completed|false",
      "299 Odd|false",
      "30 short|false",
      "Nothing to do|false",
      "|false",
  })
  void shutdownCodesOf300AndAboveAreAborts(String message, boolean abort) {
    assertEquals(abort, ShareChoice.isAbort(message));
  }

  // Eligible when lastAbort < now − backoff − (fizzle if num_before_fizzle > 0).
  @ParameterizedTest(name = "abort {0} s ago, backoff {1}, fizzle {2}, probes {3} -> eligible {4}")
  @CsvSource({
      "11,   10,  600, 0, true",
      "10,   10,  600, 0, false",
      "5,    10,  600, 0, false",
      "11,   10,  600, 1, false",
      "610,  10,  600, 2, false",
      "611,  10,  600, 2, true",
      "1000, 300, 600, 0, true",
      "299,  300, 600, 0, false",
  })
  void anAbortAnywhereHoldsTheTypeBackForBackoffPlusFizzleWhileAProbeIsYoung(long ago, int backoff, int fizzle,
      int probes, boolean eligible) {
    VacConf conf = conf(type("a", 1, "backoff_seconds = " + backoff, "fizzle_seconds = " + fizzle));
    // The abort is on f2, the probes on f3: the whole space counts.
    List<MachinetypeStatus> replies = List.of(reply("f1", "a", 0, 0, "200 done", NOW - 5000),
        reply("f2", "a", 1, 0, "300 Nothing to do", NOW - ago), reply("f3", "a", probes, probes, null, null));
    ShareChoice.Ranking r = ShareChoice.of(conf.machinetypes().values(), replies)
        .rank(NOW_INSTANT, null, new SplittableRandom(1));
    assertEquals(eligible, r.order().size() == 1, r.describe());
    Instant restart = Instant.ofEpochSecond(NOW - ago + backoff + (probes > 0 ? fizzle : 0));
    assertEquals(eligible ? Optional.empty() : Optional.of(restart), r.nextRestart());
  }

  @Test
  void theLatestAbortOfAllFactoriesCountsAndOtherCodesDoNot() {
    VacConf conf = conf(type("a", 1, "backoff_seconds = 100", "fizzle_seconds = 10"));
    List<MachinetypeStatus> replies = List.of(reply("f1", "a", 0, 0, "300 Nothing to do", NOW - 500),
        reply("f2", "a", 0, 0, "500 Bad site", NOW - 50), reply("f3", "a", 0, 0, "200 done", NOW - 1));
    ShareChoice.Ranking r = ShareChoice.of(conf.machinetypes().values(), replies)
        .rank(NOW_INSTANT, null, new SplittableRandom(1));
    assertEquals(NOW - 50, r.standings().get(0).lastAbort());
    assertEquals(Optional.of(Instant.ofEpochSecond(NOW + 50)), r.nextRestart());
  }

  // shutdown_time: eligible only when now + min_wallclock_seconds < shutdown_time.
  @ParameterizedTest(name = "shutdown_time now+{0}, min_wallclock {1} -> eligible {2}")
  @CsvSource({
      "3601, 3600, true",
      "3600, 3600, false",
      "100,  3600, false",
      "100,  50,   true",
  })
  void theGlobalShutdownTimeMustLeaveMinWallclock(long ahead, int minWallclock, boolean eligible) {
    VacConf conf = conf("shutdown_time = " + (NOW + ahead) + "\n"
        + type("a", 1, "max_wallclock_seconds = 86400", "min_wallclock_seconds = " + minWallclock));
    assertEquals(eligible, order(conf, List.of(), 1).contains("a"));
  }

  @Test
  void typesWithoutShareAndRepliesAboutUnknownTypesAreLeftOut() {
    VacConf conf = conf(type("a", 1) + type("off", 0));
    List<MachinetypeStatus> replies = List.of(reply("f1", "a", 3, 0, null, null),
        reply("f2", "gone", 0, 0, "300 Nothing to do", NOW), reply("f2", "off", 0, 0, null, null));
    assertEquals(List.of("a"), order(conf, replies, 1));
  }

  @Test
  void aMachineJustCreatedCountsAtOnceInTheScoreAndAsAProbe() {
    VacConf conf = conf(type("a", 2) + type("b", 1));
    ShareChoice choice = ShareChoice.of(conf.machinetypes().values(), List.of());
    List<String> firsts = new java.util.ArrayList<>();
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 6; i++) {
      String first = choice.rank(NOW_INSTANT, null, random).order().get(0).name();
      firsts.add(first);
      choice.created(first, 1.0);
    }
    // Shares 2:1 give four a for two b.
    assertEquals(4, firsts.stream().filter("a"::equals).count(), firsts.toString());
    assertTrue(choice.rank(NOW_INSTANT, null, random).standings().stream().allMatch(s -> s.numBeforeFizzle() > 0));
  }
}
