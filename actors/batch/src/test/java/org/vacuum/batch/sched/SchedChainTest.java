package org.vacuum.batch.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchedChainTest {

  /** The deployment guide's VC3 queue defaults, with a cluster of 5 workers. */
  private static final Map<String, String> VC3_QUEUE = Map.of(
      "schedplugin", "KeepNRunning, MinPerCycle, MaxPerCycle, MaxPending",
      "sched.keepnrunning.keep_running", "5",
      "sched.minpercycle.minimum", "0",
      "sched.maxpercycle.maximum", "50",
      "sched.maxpending.maximum", "100");

  @Test
  void parsesPluginsInOrderWithTheirKeys() {
    SchedChain chain = SchedChain.parse(VC3_QUEUE);
    assertEquals(List.of(new KeepNRunning(5), new MinPerCycle(0), new MaxPerCycle(50),
        new MaxPending(100, true)), chain.plugins());
    assertEquals("KeepNRunning, MinPerCycle, MaxPerCycle, MaxPending", chain.toString());
  }

  @Test
  void vc3ChainSubmitsTheMissingWorkersAndJoinsMessages() {
    SchedPlugin.Result result = SchedChain.parse(VC3_QUEUE).run(QueueCounts.of(1, 2, 0));
    assertEquals(2, result.n());
    assertEquals("KeepNRunning:in=0,keep=5,running=2,pending=1,retiring=0,ret=2;"
        + "MinPerCycle:in=2,minpercycle=0,ret=2;"
        + "MaxPerCycle:in=2,maxpercycle=50,ret=2;"
        + "MaxPending:in=2,pending=1,maxpending=100,ret=2", result.message());
  }

  @Test
  void vc3ChainWithMinimumZeroNeverRetires() {
    // The reference's warning: MinPerCycle with minimum 0 turns KeepNRunning's -2 into 0.
    assertEquals(0, SchedChain.parse(VC3_QUEUE).run(QueueCounts.of(0, 7, 0)).n());
  }

  @Test
  void keepNRunningAloneRetiresTheSurplus() {
    SchedChain chain = SchedChain.parse(Map.of("schedplugin", "KeepNRunning",
        "sched.keepnrunning.keep_running", "0"));
    assertEquals(-3, chain.run(QueueCounts.of(1, 2, 0)).n());
  }

  @Test
  void chainFeedsEachPluginThePreviousNumber() {
    SchedChain chain = SchedChain.parse(Map.of(
        "schedplugin", "Ready, Scale, KeepNRunning, MaxToRun",
        "sched.scale.factor", "0.5",
        "sched.maxtorun.maximum", "6"));
    // Ready 9-1=8, Scale 4, KeepNRunning (unset) 4-(1+2)=1, MaxToRun min(1, 6-3)=1
    assertEquals(1, chain.run(QueueCounts.of(1, 2, 0).withReady(9)).n());
  }

  @Test
  void noneMeansUnsetAndDefaultsApply() {
    SchedChain chain = SchedChain.parse(Map.of(
        "schedplugin", "KeepNRunning,MaxPending,Ready,Scale",
        "sched.keepnrunning.keep_running", "None",
        "sched.maxpending.maximum", "none"));
    assertEquals(List.of(new KeepNRunning(null), new MaxPending(null, true), new Ready(0), new Scale(1.0)),
        chain.plugins());
  }

  @Test
  void booleansFollowConfigParser() {
    for (String no : List.of("False", "false", "no", "off", "0")) {
      SchedChain chain = SchedChain.parse(Map.of("schedplugin", "MaxPending",
          "sched.maxpending.maximum", "3", "sched.maxpending.allow_negative", no));
      assertEquals(List.of(new MaxPending(3, false)), chain.plugins());
    }
  }

  @Test
  void maxPerFactoryReadsTheFactoryKey() {
    SchedChain chain = SchedChain.parse(Map.of("schedplugin", "Fixed, MaxPerFactory",
        "sched.fixed.pilotspercycle", "10"), Map.of("maxperfactory.maximum", "100"));
    assertEquals(5, chain.run(QueueCounts.of(0, 0, 0).withFactoryPilots(95)).n());
  }

  @Test
  void unknownPluginIsNamed() {
    SchedConfigException e = assertThrows(SchedConfigException.class,
        () -> SchedChain.parse(Map.of("schedplugin", "KeepNRunning, Foo")));
    assertEquals("schedplugin", e.key());
    assertTrue(e.getMessage().contains("'Foo'"), e.getMessage());
    assertTrue(e.getMessage().contains("KeepNRunning, Ready"), e.getMessage());
  }

  @Test
  void wrongCaseSuggestsTheRightName() {
    SchedConfigException e = assertThrows(SchedConfigException.class,
        () -> SchedChain.parse(Map.of("schedplugin", "keepnrunning")));
    assertTrue(e.getMessage().contains("did you mean KeepNRunning?"), e.getMessage());
  }

  @Test
  void apfPluginsVacuumLacksAreSaidToBeUnsupported() {
    SchedConfigException e = assertThrows(SchedConfigException.class,
        () -> SchedChain.parse(Map.of("schedplugin", "Throttle")));
    assertTrue(e.getMessage().contains("not supported"), e.getMessage());
  }

  @Test
  void badNumberNamesKeyAndValue() {
    SchedConfigException e = assertThrows(SchedConfigException.class, () -> SchedChain.parse(Map.of(
        "schedplugin", "KeepNRunning, MaxPending", "sched.maxpending.maximum", "abc")));
    assertEquals("sched.maxpending.maximum", e.key());
    assertEquals("sched.maxpending.maximum: 'abc' is not an integer", e.getMessage());
  }

  @Test
  void badFactorBooleanAndNegativeKeepAreRejected() {
    assertEquals("sched.scale.factor", assertThrows(SchedConfigException.class, () -> SchedChain.parse(
        Map.of("schedplugin", "Scale", "sched.scale.factor", "half"))).key());
    assertEquals("sched.scale.factor", assertThrows(SchedConfigException.class, () -> SchedChain.parse(
        Map.of("schedplugin", "Scale", "sched.scale.factor", "-1"))).key());
    assertEquals("sched.maxpending.allow_negative", assertThrows(SchedConfigException.class,
        () -> SchedChain.parse(Map.of("schedplugin", "MaxPending",
            "sched.maxpending.allow_negative", "maybe"))).key());
    assertEquals("sched.keepnrunning.keep_running", assertThrows(SchedConfigException.class,
        () -> SchedChain.parse(Map.of("schedplugin", "KeepNRunning",
            "sched.keepnrunning.keep_running", "-1"))).key());
    assertEquals("maxperfactory.maximum", assertThrows(SchedConfigException.class,
        () -> SchedChain.parse(Map.of("schedplugin", "MaxPerFactory"),
            Map.of("maxperfactory.maximum", "1e3"))).key());
  }

  @Test
  void missingOrEmptyPluginListIsRejected() {
    assertEquals("schedplugin",
        assertThrows(SchedConfigException.class, () -> SchedChain.parse(Map.of())).key());
    assertEquals("schedplugin", assertThrows(SchedConfigException.class,
        () -> SchedChain.parse(Map.of("schedplugin", "KeepNRunning,,MaxPending"))).key());
  }
}
