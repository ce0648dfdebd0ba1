package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vacuum.virtualcluster.HeadNodeTransitions.BootFailed;
import org.vacuum.virtualcluster.HeadNodeTransitions.BootStarted;
import org.vacuum.virtualcluster.HeadNodeTransitions.ClusterFinished;
import org.vacuum.virtualcluster.HeadNodeTransitions.ConfigureFailed;
import org.vacuum.virtualcluster.HeadNodeTransitions.ConfigureSucceeded;
import org.vacuum.virtualcluster.HeadNodeTransitions.Contacted;
import org.vacuum.virtualcluster.HeadNodeTransitions.Effect;
import org.vacuum.virtualcluster.HeadNodeTransitions.HeadNode;
import org.vacuum.virtualcluster.HeadNodeTransitions.Observation;
import org.vacuum.virtualcluster.HeadNodeTransitions.SecretUnreadable;
import org.vacuum.virtualcluster.HeadNodeTransitions.Settings;
import org.vacuum.virtualcluster.HeadNodeTransitions.State;
import org.vacuum.virtualcluster.HeadNodeTransitions.Step;
import org.vacuum.virtualcluster.HeadNodeTransitions.Tick;

class HeadNodeTransitionsTest {

  private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
  private static final Settings SETTINGS = Settings.VC3_DEFAULTS;

  private static Step next(Step step, Observation observation, long atSeconds) {
    return HeadNodeTransitions.next(step.headNode(), observation, T0.plusSeconds(atSeconds), SETTINGS);
  }

  /** new → booting → initializing with the first configure attempt in flight, all at T0+30. */
  private static Step initializing() {
    Step step = next(HeadNodeTransitions.create(T0), new BootStarted(), 10);
    return next(step, new Contacted(T0.plusSeconds(30)), 30);
  }

  @Test
  void createStartsInNewAndAsksForBoot() {
    Step step = HeadNodeTransitions.create(T0);
    assertEquals(State.NEW, step.headNode().state());
    assertEquals(List.of(Effect.BOOT), step.effects());
    assertEquals(T0, step.headNode().lastContact());
  }

  @Test
  void happyPathNewBootingInitializingRunning() {
    Step booting = next(HeadNodeTransitions.create(T0), new BootStarted(), 10);
    assertEquals(State.BOOTING, booting.headNode().state());
    assertEquals("Headnode is booting up.", booting.stateReason());

    Step configuring = next(booting, new Contacted(T0.plusSeconds(30)), 30);
    assertEquals(State.INITIALIZING, configuring.headNode().state());
    assertEquals("Headnode is being configured.", configuring.stateReason());
    assertEquals(List.of(Effect.START_CONFIGURE), configuring.effects());
    assertEquals(1, configuring.headNode().attempts());

    Step running = next(configuring, new ConfigureSucceeded(), 200);
    assertEquals(State.RUNNING, running.headNode().state());
    assertEquals("Headnode is ready to be used.", running.stateReason());
    assertEquals(List.of(), running.effects());
  }

  @Test
  void bootFailureIsAFailure() {
    Step step = next(HeadNodeTransitions.create(T0), new BootFailed("quota exceeded"), 5);
    assertEquals(State.FAILURE, step.headNode().state());
    assertEquals("Could not boot headnode: quota exceeded", step.stateReason());
  }

  @Test
  void failedConfigureIsRetriedUntilTheAttemptsLimit() {
    Step second = next(initializing(), new ConfigureFailed("exit 2"), 100);
    assertEquals(State.INITIALIZING, second.headNode().state());
    assertEquals(2, second.headNode().attempts());
    assertEquals(List.of(Effect.START_CONFIGURE), second.effects());

    Step third = next(second, new ConfigureFailed("exit 2"), 200);
    assertEquals(3, third.headNode().attempts());

    Step failed = next(third, new ConfigureFailed("exit 2"), 300);
    assertEquals(State.FAILURE, failed.headNode().state());
    assertEquals("Headnode could not be configured.", failed.stateReason());
    assertEquals(List.of(), failed.effects());
  }

  @Test
  void attemptsLimitComesFromSettings() {
    Step step = HeadNodeTransitions.next(initializing().headNode(), new ConfigureFailed("x"),
        T0.plusSeconds(60), new Settings(Duration.ofSeconds(900), 1));
    assertEquals(State.FAILURE, step.headNode().state());
  }

  @Test
  void unreadableSecretFailsAtOnce() {
    Step step = next(initializing(), new SecretUnreadable("no such file"), 100);
    assertEquals(State.FAILURE, step.headNode().state());
    assertTrue(step.stateReason().contains("no such file"), step.stateReason());
  }

  @Test
  void noContactForHalfTheTimeWarnsWithSecondsLeft() {
    // last contact T0+10 (boot start); 900 s limit; at T0+610 silence is 600 s
    Step booting = next(HeadNodeTransitions.create(T0), new BootStarted(), 10);
    Step warned = next(booting, new Tick(), 610);
    assertEquals(State.BOOTING, warned.headNode().state());
    assertEquals("Headnode is booting up. (No contact with the headnode for 600 seconds, possibly a "
        + "transient error; failure in 300 seconds.)", warned.stateReason());
    // the stored reason stays clean so warnings never pile up
    assertEquals("Headnode is booting up.", warned.headNode().reason());
  }

  @Test
  void noContactForLongerThanTheLimitFails() {
    Step booting = next(HeadNodeTransitions.create(T0), new BootStarted(), 10);
    assertEquals(State.BOOTING, next(booting, new Tick(), 910).headNode().state());
    Step failed = next(booting, new Tick(), 911);
    assertEquals(State.FAILURE, failed.headNode().state());
    assertEquals("Headnode could not be contacted after 900 seconds.", failed.stateReason());
  }

  @Test
  void noContactRuleAppliesFromCreation() {
    Step failed = next(HeadNodeTransitions.create(T0), new Tick(), 901);
    assertEquals(State.FAILURE, failed.headNode().state());
  }

  @Test
  void contactsKeepARunningHeadNodeAlive() {
    Step running = next(initializing(), new ConfigureSucceeded(), 100);
    Step contacted = next(running, new Contacted(T0.plusSeconds(800)), 800);
    Step later = next(contacted, new Tick(), 1200);
    assertEquals(State.RUNNING, later.headNode().state());
    assertEquals("Headnode is ready to be used.", later.stateReason());
    assertEquals(State.FAILURE, next(contacted, new Tick(), 1701).headNode().state());
  }

  @Test
  void aStaleContactDoesNotMoveTheClockBack() {
    Step running = next(initializing(), new ConfigureSucceeded(), 100);
    Step stale = next(running, new Contacted(T0), 200);
    assertEquals(T0.plusSeconds(30), stale.headNode().lastContact());
  }

  @Test
  void contactDuringConfigurationOnlyRefreshes() {
    Step step = next(initializing(), new Contacted(T0.plusSeconds(500)), 500);
    assertEquals(State.INITIALIZING, step.headNode().state());
    assertEquals(1, step.headNode().attempts());
    assertEquals(List.of(), step.effects());
  }

  @Test
  void observationsOutOfPlaceChangeNothing() {
    Step booting = next(HeadNodeTransitions.create(T0), new BootStarted(), 10);
    assertEquals(booting.headNode(), next(booting, new ConfigureSucceeded(), 20).headNode());
  }

  @Test
  void clusterFinishedDestroysFromAnyStateIncludingFailure() {
    Step failed = next(HeadNodeTransitions.create(T0), new BootFailed("x"), 5);
    Step gone = next(failed, new ClusterFinished(), 6);
    assertEquals(State.TERMINATED, gone.headNode().state());
    assertEquals(List.of(Effect.DESTROY), gone.effects());
    assertEquals("Headnode successfully terminated.", gone.stateReason());

    Step fromRunning = next(next(initializing(), new ConfigureSucceeded(), 60), new ClusterFinished(), 70);
    assertEquals(List.of(Effect.DESTROY), fromRunning.effects());
  }

  @Test
  void failureAndTerminatedAreKept() {
    Step failed = next(HeadNodeTransitions.create(T0), new BootFailed("x"), 5);
    assertEquals(failed.headNode(), next(failed, new Contacted(T0.plusSeconds(6)), 6).headNode());
    assertEquals(failed.headNode(), next(failed, new Tick(), 5000).headNode());
    Step gone = next(failed, new ClusterFinished(), 7);
    Step again = next(gone, new ClusterFinished(), 8);
    assertEquals(State.TERMINATED, again.headNode().state());
    assertEquals(List.of(), again.effects());
  }

  @Test
  void lostConfigureAttemptIsRestarted() {
    // e.g. after a restart the entity records that no attempt is in flight any more
    HeadNode lost = new HeadNode(State.INITIALIZING, "Headnode is being configured.", T0, 1, false);
    Step step = HeadNodeTransitions.next(lost, new Tick(), T0.plusSeconds(20), SETTINGS);
    assertEquals(List.of(Effect.START_CONFIGURE), step.effects());
    assertEquals(2, step.headNode().attempts());
  }
}
