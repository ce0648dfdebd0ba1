package org.vacuum.space;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.vacuum.config.VacuumSettings;
import org.vacuum.factory.Factory;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryStatus;

/**
 * The space's census: every factory that is an Up member of the cluster is asked for its {@code
 * factory_status} through sharding, all at once under one deadline, and whoever answered in time
 * is the result (as Vac's UDP query uses whatever replies arrive). Factories that did not answer
 * are named, not hidden.
 */
public final class Census {

  private Census() {}

  /** What a census found: the answers, sorted by factory name, and who did not answer in time. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Result(String space, List<FactoryStatus> factories, List<String> noReply) {}

  /** Names of the factories whose nodes are Up members now, from their {@code factory=NAME} roles. */
  public static List<String> factoryNames(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp())
        .map(Census::factoryName)
        .flatMap(Optional::stream)
        .sorted()
        .toList();
  }

  /** The factory a member owns, if it has the factory role. */
  public static Optional<String> factoryName(Member member) {
    return member.getRoles().stream()
        .filter(r -> r.startsWith(VacuumSettings.FACTORY_NAME_ROLE_PREFIX))
        .map(r -> r.substring(VacuumSettings.FACTORY_NAME_ROLE_PREFIX.length()))
        .findFirst();
  }

  /** Asks every member factory, all with the same deadline, and collects whoever answered. */
  public static CompletionStage<Result> run(ActorSystem<?> system, VacuumSettings settings, Duration deadline) {
    ClusterSharding sharding = ClusterSharding.get(system);
    List<String> names = factoryNames(system);
    List<CompletableFuture<Optional<FactoryStatus>>> asks = new ArrayList<>();
    for (String name : names) {
      asks.add(sharding.entityRefFor(Factory.ENTITY_KEY, name)
          .<FactoryStatus>askWithStatus(FactoryQuery::new, deadline)
          .thenApply(Optional::of)
          .exceptionally(e -> Optional.empty())
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<FactoryStatus> answered = new ArrayList<>();
      List<String> noReply = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        Optional<FactoryStatus> status = asks.get(i).join();
        if (status.isPresent()) {
          answered.add(status.get());
        } else {
          noReply.add(names.get(i));
        }
      }
      answered.sort(Comparator.comparing(FactoryStatus::factory));
      return new Result(settings.space(), List.copyOf(answered), List.copyOf(noReply));
    });
  }
}
