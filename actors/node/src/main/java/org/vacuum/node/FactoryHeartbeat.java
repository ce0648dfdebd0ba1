package org.vacuum.node;

import org.vacuum.protocol.factory.FactoryProtocol;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.vacuum.config.VacuumSettings;
import org.vacuum.protocol.factory.FactoryProtocol.Command;
import org.vacuum.protocol.factory.FactoryProtocol.Heartbeat;

/**
 * Sends this node's factory a {@link Heartbeat} every {@code vacuum.heartbeat-interval}, through
 * sharding, so the factory's heartbeat time says the node is alive and a stopped factory entity is
 * started again. A missed heartbeat is logged, never fatal: the next one tries again.
 */
final class FactoryHeartbeat {

  private enum Tick { INSTANCE }

  private FactoryHeartbeat() {}

  static Behavior<Tick> create(VacuumSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.heartbeatInterval());
      EntityRef<Command> factory = ClusterSharding.get(ctx.getSystem())
          .entityRefFor(FactoryProtocol.ENTITY_KEY, settings.factoryName());
      return Behaviors.receive(Tick.class)
          .onMessage(Tick.class, tick -> {
            factory.<Done>askWithStatus(Heartbeat::new, settings.heartbeatInterval())
                .whenComplete((done, failure) -> {
                  if (failure != null) {
                    ctx.getSystem().log().warn("factory {} missed a heartbeat: {}", settings.factoryName(), failure.toString());
                  }
                });
            return Behaviors.same();
          })
          .build();
    }));
  }
}
