package org.vacuum.host;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.vacuum.config.VacuumSettings;

/**
 * Sharding for entities pinned to their factory's node (DESIGN §4): the {@code Factory} and its
 * {@code Slot}s. The shard id of an entity is the name of its factory, so a factory and its slots
 * are placed as one; {@link ExternalShardAllocationStrategy} puts that shard where the factory's
 * node recorded it ({@link #registerShardLocation}); nothing is passivated. Which behaviour runs
 * for an id (the entity, or a refusal when the id is not this node's) is the caller's.
 */
public final class PinnedToFactory {

  private PinnedToFactory() {}

  /**
   * Starts sharding of {@code key} on this node, with role {@code factory}.
   *
   * @param factoryOf the factory an entity id belongs to (its shard)
   * @param behavior the behaviour for an entity id
   */
  public static <M> void init(ActorSystem<?> system, EntityTypeKey<M> key, Function<String, String> factoryOf,
      Function<String, Behavior<M>> behavior) {
    ClusterSharding.get(system).init(
        Entity.of(key, ctx -> behavior.apply(ctx.getEntityId()))
            .withRole(VacuumSettings.FACTORY_ROLE)
            .withMessageExtractor(new ShardPerFactory<M>(factoryOf))
            .withAllocationStrategy(ExternalShardAllocationStrategy.create(system, key.name(), Duration.ofSeconds(5)))
            .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** Records that this node hosts its factory's shard of {@code key}, so the strategy pins it here. */
  public static CompletionStage<Done> registerShardLocation(ActorSystem<?> system, EntityTypeKey<?> key,
      String factory) {
    return ExternalShardAllocation.get(system)
        .getClient(key.name())
        .setShardLocation(factory, Cluster.get(system).selfMember().address());
  }

  /** Shard id = the entity's factory. */
  static final class ShardPerFactory<M> extends ShardingMessageExtractor<ShardingEnvelope<M>, M> {
    private final Function<String, String> factoryOf;

    ShardPerFactory(Function<String, String> factoryOf) {
      this.factoryOf = factoryOf;
    }

    @Override
    public String entityId(ShardingEnvelope<M> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return factoryOf.apply(entityId);
    }

    @Override
    public M unwrapMessage(ShardingEnvelope<M> envelope) {
      return envelope.message();
    }
  }
}
