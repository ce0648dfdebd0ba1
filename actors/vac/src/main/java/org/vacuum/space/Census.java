package org.vacuum.space;

import org.vacuum.protocol.factory.FactoryProtocol;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.StatusReply;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.factory.FactoryProtocol.Command;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryProtocol.MachinesQuery;
import org.vacuum.protocol.factory.FactoryProtocol.MachinetypesQuery;
import org.vacuum.protocol.factory.FactoryStatus;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.protocol.slot.MachineStatus;

/**
 * The space's census: every factory that is an Up member of the cluster is asked for its {@code
 * factory_status} through sharding, all at once under one deadline, and whoever answered in time
 * is the result (as Vac's UDP query uses whatever replies arrive). Factories that did not answer
 * are named, not hidden.
 *
 * <p>The deadline a census run for users waits is {@link #deadline}: vac.conf's {@code
 * udp_timeout_seconds}, as Vac's queries wait.
 */
public final class Census {

  private Census() {}

  /** What a census found: the answers, sorted by factory name, and who did not answer in time. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Result(String space, List<FactoryStatus> factories, List<String> noReply) {}

  /**
   * Names of the factories whose nodes are Up members now, from their {@code factory=NAME} roles. A
   * node owns one factory; a member with several such roles (the census benchmark's) counts for each.
   */
  public static List<String> factoryNames(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp())
        .flatMap(m -> m.getRoles().stream())
        .filter(r -> r.startsWith(VacuumSettings.FACTORY_NAME_ROLE_PREFIX))
        .map(r -> r.substring(VacuumSettings.FACTORY_NAME_ROLE_PREFIX.length()))
        .distinct()
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

  /** What a machines census found: every slot of the factories that answered, and who did not. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record MachinesResult(String space, List<MachineStatus> machines, List<String> noReply) {}

  /** What a machinetypes census found: each answering factory's replies, and who did not answer. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record MachinetypesResult(String space, List<MachinetypeStatus> machinetypes, List<String> noReply) {}

  /**
   * How long a census waits for replies: vac.conf's {@code udp_timeout_seconds} when a vac.conf is
   * in force on this node (its default, 10 s, when the file does not set it), else {@code
   * vacuum.census-timeout} (a node without vac.conf, such as a control-only member).
   */
  public static Duration deadline(VacuumSettings settings, Optional<VacConf> conf) {
    return conf.map(c -> Duration.ofMillis(Math.round(c.settings().udpTimeoutSeconds() * 1000)))
        .orElse(settings.censusTimeout());
  }

  /**
   * The deadline of the census a factory runs before each creation decision: one of Vac's rounds,
   * {@code udp_timeout_seconds / 5} (at least 100 ms), since a decision waits for no stragglers;
   * a factory that misses it is simply absent from the sums, as in Vac.
   */
  public static Duration decisionDeadline(VacuumSettings settings, Optional<VacConf> conf) {
    return Duration.ofMillis(Math.max(100, deadline(settings, conf).toMillis() / 5));
  }

  /** Asks every member factory, all with the same deadline, and collects whoever answered. */
  public static CompletionStage<Result> run(ActorSystem<?> system, VacuumSettings settings, Duration deadline) {
    List<String> names = factoryNames(system);
    return askEach(system, names, FactoryQuery::new, deadline).thenApply(answers -> {
      List<FactoryStatus> answered = new ArrayList<>();
      List<String> noReply = new ArrayList<>();
      answers.forEach((name, status) -> status.ifPresentOrElse(answered::add, () -> noReply.add(name)));
      answered.sort(Comparator.comparing(FactoryStatus::factory));
      return new Result(settings.space(), List.copyOf(answered), List.copyOf(noReply));
    });
  }

  /**
   * VacQuery's machines query to the member factories named in {@code only} (all when empty), under
   * one deadline. Machines are sorted by factory, then name, as {@code vac machines} prints them.
   */
  public static CompletionStage<MachinesResult> machines(ActorSystem<?> system, VacuumSettings settings,
      Duration deadline, List<String> only) {
    List<String> names = only.isEmpty() ? factoryNames(system) : only;
    return askEach(system, names, MachinesQuery::new, deadline).thenApply(answers -> {
      List<MachineStatus> machines = new ArrayList<>();
      List<String> noReply = new ArrayList<>();
      answers.forEach((name, reply) -> reply.ifPresentOrElse(m -> machines.addAll(m.machines()),
          () -> noReply.add(name)));
      machines.sort(Comparator.comparing(MachineStatus::factory).thenComparing(MachineStatus::machine));
      return new MachinesResult(settings.space(), List.copyOf(machines), List.copyOf(noReply));
    });
  }

  /** VacQuery's machinetypes query to every member factory, under one deadline. */
  public static CompletionStage<MachinetypesResult> machinetypes(ActorSystem<?> system, VacuumSettings settings,
      Duration deadline) {
    return machinetypes(system, settings, deadline, List.of());
  }

  /**
   * VacQuery's machinetypes query to the member factories named in {@code only} (all when empty),
   * under one deadline: every reply, sorted by factory, each factory's in its configuration's order.
   */
  public static CompletionStage<MachinetypesResult> machinetypes(ActorSystem<?> system, VacuumSettings settings,
      Duration deadline, List<String> only) {
    List<String> names = only.isEmpty() ? factoryNames(system) : only;
    return askEach(system, names, MachinetypesQuery::new, deadline).thenApply(answers -> {
      List<MachinetypeStatus> machinetypes = new ArrayList<>();
      List<String> noReply = new ArrayList<>();
      answers.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(answer -> answer.getValue()
          .ifPresentOrElse(m -> machinetypes.addAll(m.machinetypes()), () -> noReply.add(answer.getKey())));
      return new MachinetypesResult(settings.space(), List.copyOf(machinetypes), List.copyOf(noReply));
    });
  }

  /** Sends one ask per factory at once; each answer, or empty for no answer within the deadline. */
  private static <T> CompletionStage<Map<String, Optional<T>>> askEach(ActorSystem<?> system, List<String> names,
      scala.Function1<ActorRef<StatusReply<T>>, Command> message, Duration deadline) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Map<String, CompletableFuture<Optional<T>>> asks = new LinkedHashMap<>();
    for (String name : names) {
      asks.put(name, sharding.entityRefFor(FactoryProtocol.ENTITY_KEY, name)
          .askWithStatus(message, deadline)
          .thenApply(Optional::of)
          .exceptionally(e -> Optional.empty())
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<String, Optional<T>> answers = new LinkedHashMap<>();
      asks.forEach((name, answer) -> answers.put(name, answer.join()));
      return answers;
    });
  }
}
