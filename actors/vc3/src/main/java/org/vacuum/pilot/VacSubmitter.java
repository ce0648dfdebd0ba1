package org.vacuum.pilot;

import org.vacuum.protocol.slot.SlotProtocol;
import org.vacuum.protocol.factory.FactoryProtocol;
import org.vacuum.batch.submit.PilotBootstrap;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.batch.submit.RemoteFailure;
import org.vacuum.batch.submit.SubmitException;
import org.vacuum.batch.submit.Submitter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.config.VacuumSettings;
import org.vacuum.protocol.factory.FactoryProtocol.CreateMachine;
import org.vacuum.protocol.factory.FactoryStatus;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol.Destroy;
import org.vacuum.protocol.slot.SlotProtocol.GetStatus;
import org.vacuum.slot.Slot;
import org.vacuum.space.Census;

/**
 * Pilots as machines of one machinetype on the space's factories (VC3 resource {@code accessflavor
 * vac}): a pilot is one machine, created with the factory's {@code CreateMachine} and named {@code
 * <machine>_<uuid>} (e.g. {@code f1-03.example.com_0b5d...}), so a slot reused later holds a
 * different pilot and the name means the same after a restart.
 *
 * <p><b>Submit</b> runs one census (factory and machine status) and creates the machines one by
 * one, each on the factory with the fewest machines of the machinetype among those with free
 * processors and not draining (then by name), so a queue's pilots spread over the space. A factory
 * that refuses is left out for the rest of the call. The pilot reaches the machine through its
 * user_data: the factory fills these {@code ##user_data_option_*##} placeholders of the
 * machinetype's template for this machine only (they are not persisted):
 * <ul>
 *   <li>{@value #OPTION_QUEUE}: the pilot queue;
 *   <li>{@value #OPTION_ID}: the pilot's name;
 *   <li>{@value #OPTION_SCRIPT}: a POSIX shell script that stages the pilot's files (base64) in
 *       {@code /var/lib/vacuum-pilot/<queue>}, exports its environment (the Environments' envmap,
 *       {@code VC3_*}, {@code VACUUM_PILOT_ID}) and execs its command: the head node's address and
 *       password for a Work Queue worker, the Environment's command for a generic pilot. A
 *       template may be this placeholder alone, since cloud-init runs a user_data that starts with
 *       {@code #!}.
 * </ul>
 * The machinetype must have a {@code user_data} (the factory refuses otherwise) and should have
 * {@code target_share = 0}, so the factories' own decision never starts machines of it.
 *
 * <p><b>Status</b> is a machines census; APF's batch mapping is Vac's machine state: {@code
 * Starting} is {@code IDLE}, {@code Running} {@code RUNNING}, {@code Paused} {@code HELD}, {@code
 * Shut down} or gone from the census (slot reused, factory no longer a member) {@code DONE}; before
 * a pilot is first called {@code DONE} for being gone, its slot is asked, since a restarting
 * factory answers the census before it has reconciled its slots. A pilot on a factory that did not answer the census keeps its last state ({@code IDLE} if none), so
 * a slow factory never makes the queue over-submit. Machines carry no queue, so the pilots of a
 * queue are those this instance submitted plus those the queue's journal names ({@link #recall});
 * ended pilots are reported for the retention period from when this instance first saw them ended.
 *
 * <p><b>Retire</b> destroys each machine through its slot (Vac's destroy: shutdown, grace,
 * destroy) with the reason {@code retired by pilot queue <queue>} and the shutdown message {@code
 * 100 ...} (shut down as its host asked); a machine still starting is destroyed once it runs,
 * within the retire timeout. The destroy names the machine's uuid, so a slot reused meanwhile
 * refuses it and its new machine is never hit. {@link #close} leaves the machines to their factories.
 */
public final class VacSubmitter implements Submitter {

  public static final String OPTION_QUEUE = "vacuum_pilot_queue";
  public static final String OPTION_ID = "vacuum_pilot_id";
  public static final String OPTION_SCRIPT = "vacuum_pilot_script";
  /** Where a pilot's sandbox is made inside its machine. */
  public static final Path SANDBOX_ROOT = Path.of("/var/lib/vacuum-pilot");
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);
  public static final Duration DEFAULT_RETIRE_TIMEOUT = Duration.ofMinutes(2);
  /** As the factory waits for its slot: creation may fetch a root image first. */
  static final Duration CREATE_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration STARTING_POLL = Duration.ofMillis(250);
  private static final Pattern NAME =
      Pattern.compile("(.+)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");
  private static final String FILE_END = "VACUUM_PILOT_FILE";

  private static final Logger log = LoggerFactory.getLogger(VacSubmitter.class);

  /** What this instance knows of one pilot. Guarded by its queue's map. */
  private static final class Known {
    final PilotId id;
    final String machine;
    final String uuid;
    Instant submitted;
    PilotInfo last;
    Instant doneSince;
    boolean retired;

    Known(PilotId id, String machine, String uuid, Instant submitted) {
      this.id = id;
      this.machine = machine;
      this.uuid = uuid;
      this.submitted = submitted;
    }
  }

  private final ActorSystem<?> system;
  private final VacuumSettings settings;
  private final String machinetype;
  private final Duration retention;
  private final Duration retireTimeout;
  private final Clock clock;
  private final Map<String, Map<PilotId, Known>> queues = new ConcurrentHashMap<>();

  public VacSubmitter(ActorSystem<?> system, String machinetype, Duration retention, Duration retireTimeout,
      Clock clock) {
    if (machinetype == null || machinetype.isBlank()) {
      throw new IllegalArgumentException("a vac submitter needs the pilot machinetype (the resource's cloudinstancetype)");
    }
    this.system = system;
    this.settings = VacuumSettings.from(system.settings().config());
    this.machinetype = machinetype;
    this.retention = retention;
    this.retireTimeout = retireTimeout;
    this.clock = clock;
  }

  public VacSubmitter(ActorSystem<?> system, String machinetype) {
    this(system, machinetype, DEFAULT_RETENTION, DEFAULT_RETIRE_TIMEOUT, Clock.systemUTC());
  }

  // ---- submit ----------------------------------------------------------------------------------

  @Override
  public List<PilotId> submit(PilotSpec spec, int n) {
    if (n < 0) throw new IllegalArgumentException("cannot submit " + n + " pilots to " + spec.queue());
    if (n == 0) return List.of();
    Map<String, String> options = userDataOptions(spec);
    Census.Result factories = await(Census.run(system, settings, settings.censusTimeout()), "the factory census");
    Census.MachinesResult machines =
        await(Census.machines(system, settings, settings.censusTimeout(), List.of()), "the machines census");
    Map<String, Integer> free = new TreeMap<>();
    for (FactoryStatus f : factories.factories()) {
      if (!f.draining()) free.put(f.factory(), f.maxProcessors() - f.runningProcessors());
    }
    Map<String, Integer> count = new TreeMap<>();
    for (MachineStatus m : machines.machines()) {
      if (m.occupied() && machinetype.equals(m.machinetype())) count.merge(m.factory(), 1, Integer::sum);
    }
    List<PilotId> started = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    Map<PilotId, Known> known = queue(spec.queue());
    while (started.size() < n) {
      Optional<String> factory = chooseFactory(free, count);
      if (factory.isEmpty()) {
        String why = refusals.isEmpty() ? "no factory of space " + settings.space() + " has free processors"
            + (factories.noReply().isEmpty() ? "" : " (no answer from " + factories.noReply() + ")")
            : String.join("; ", refusals);
        throw new SubmitException("pilot queue " + spec.queue() + ": created " + started.size() + " of " + n
            + " machines of machinetype " + machinetype + ": " + why, started, null);
      }
      String f = factory.get();
      try {
        MachineStatus m = await(ClusterSharding.get(system).entityRefFor(FactoryProtocol.ENTITY_KEY, f)
            .<MachineStatus>askWithStatus(r -> new CreateMachine(machinetype, options, r), CREATE_TIMEOUT),
            "creating a " + machinetype + " machine on factory " + f);
        PilotId id = new PilotId(spec.queue(), pilotName(m.machine(), m.uuid()));
        synchronized (known) {
          known.put(id, new Known(id, m.machine(), m.uuid(), clock.instant()));
        }
        started.add(id);
        count.merge(f, 1, Integer::sum);
        free.merge(f, -Math.max(1, m.numProcessors()), Integer::sum);
      } catch (RemoteFailure e) {
        refusals.add(e.getMessage());
        free.remove(f);
      }
    }
    log.info("pilot queue {}: created pilot machines {} of machinetype {}", spec.queue(),
        started.stream().map(PilotId::name).toList(), machinetype);
    return List.copyOf(started);
  }

  /**
   * The factory for the next pilot: among those with free processors, the one with the fewest
   * machines of the machinetype, then by name; empty when none has free processors.
   */
  static Optional<String> chooseFactory(Map<String, Integer> freeProcessors, Map<String, Integer> machines) {
    return freeProcessors.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .map(Map.Entry::getKey)
        .min(Comparator.<String>comparingInt(f -> machines.getOrDefault(f, 0)).thenComparing(f -> f));
  }

  /** The user_data options that carry {@code spec} into a machine (see the class comment). */
  static Map<String, String> userDataOptions(PilotSpec spec) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put(OPTION_QUEUE, spec.queue());
    // Filled by the factory: this machine's options are substituted before the fixed placeholders.
    options.put(OPTION_ID, "##user_data_machine_hostname##_##user_data_uuid##");
    options.put(OPTION_SCRIPT, script(spec));
    return options;
  }

  /** The shell script that stages and runs {@code spec} inside a machine. */
  static String script(PilotSpec spec) {
    String sandbox = spec.sandboxRoot().resolve(spec.queue()).toString();
    StringBuilder s = new StringBuilder("#!/bin/sh\n");
    s.append("# vacuum pilot of queue ").append(spec.queue())
        .append(": stages its files, sets its environment and runs it in this machine\n");
    s.append("S=").append(PilotBootstrap.quote(sandbox)).append('\n');
    s.append("mkdir -p \"$S\" && cd \"$S\" || exit 1\n");
    Set<String> dirs = new TreeSet<>();
    for (String name : spec.files().keySet()) {
      Path parent = Path.of(name).getParent();
      if (parent != null) dirs.add(parent.toString());
    }
    for (String dir : dirs) {
      s.append("mkdir -p ").append(PilotBootstrap.quote(dir)).append(" || exit 1\n");
    }
    Base64.Encoder base64 = Base64.getMimeEncoder(76, "\n".getBytes(StandardCharsets.US_ASCII));
    for (Map.Entry<String, byte[]> file : spec.files().entrySet()) {
      s.append("base64 -d > ").append(PilotBootstrap.quote(file.getKey())).append(" <<'").append(FILE_END)
          .append("' || exit 1\n");
      String encoded = base64.encodeToString(file.getValue());
      s.append(encoded);
      if (!encoded.isEmpty()) s.append('\n');
      s.append(FILE_END).append('\n');
    }
    for (Map.Entry<String, String> variable : spec.environment().entrySet()) {
      s.append("export ").append(variable.getKey()).append('=').append(PilotBootstrap.quote(variable.getValue()))
          .append('\n');
    }
    s.append("export VACUUM_PILOT_ID=").append("'##user_data_machine_hostname##_##user_data_uuid##'\n");
    s.append("exec");
    spec.command().forEach(word -> s.append(' ').append(PilotBootstrap.quote(word)));
    s.append('\n');
    return s.toString();
  }

  // ---- status ----------------------------------------------------------------------------------

  /**
   * Tells this submitter the pilots {@code queue}'s journal says it submitted: pilots of an earlier
   * instance (before a restart, or on another control node) are then found in the census again.
   */
  @Override
  public void recall(String queue, Collection<String> pilotNames) {
    Map<PilotId, Known> known = queue(queue);
    Set<PilotId> named = new HashSet<>();
    Instant now = clock.instant();
    synchronized (known) {
      for (String name : pilotNames) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) continue;
        PilotId id = new PilotId(queue, name);
        named.add(id);
        known.computeIfAbsent(id, i -> new Known(i, m.group(1), m.group(2), null));
      }
      // Forget ended pilots past retention that the journal no longer names.
      known.values().removeIf(k -> !named.contains(k.id) && k.doneSince != null && expired(k, now));
    }
  }

  @Override
  public Map<PilotId, PilotInfo> status(String queue) {
    Map<PilotId, Known> known = queue(queue);
    synchronized (known) {
      if (known.isEmpty()) return Map.of();
    }
    Census.MachinesResult census =
        await(Census.machines(system, settings, settings.censusTimeout(), List.of()), "the machines census");
    Map<String, MachineStatus> byUuid = new LinkedHashMap<>();
    for (MachineStatus m : census.machines()) {
      if (m.uuid() != null && machinetype.equals(m.machinetype())) byUuid.put(m.uuid(), m);
    }
    Set<String> silent = Set.copyOf(census.noReply());
    Instant now = clock.instant();
    Map<PilotId, PilotInfo> result = new TreeMap<>();
    synchronized (known) {
      for (Known k : known.values()) {
        MachineStatus m = byUuid.get(k.uuid);
        if ((m == null || !m.machine().equals(k.machine)) && k.doneSince == null
            && !silent.contains(factoryOf(k.machine))) {
          // A factory answers the census before it has reconciled its slots after a restart (its
          // slots look empty then): the slot itself says whether the pilot's machine is still there.
          m = slotStatus(k.machine).filter(s -> k.uuid.equals(s.uuid())).orElse(m);
        }
        PilotInfo info;
        if (m != null && m.machine().equals(k.machine)) {
          if (k.submitted == null) {
            k.submitted = m.createdTime() == null ? Instant.EPOCH : Instant.ofEpochSecond(m.createdTime());
          }
          info = info(m, k.submitted, k.retired);
        } else if (silent.contains(factoryOf(k.machine))) {
          info = k.last != null ? k.last : new PilotInfo(PilotState.IDLE, submitted(k), Optional.empty(),
              Optional.of("factory " + factoryOf(k.machine) + " did not answer the census"));
        } else {
          info = new PilotInfo(PilotState.DONE, submitted(k), Optional.empty(), Optional.of(k.retired ? "retired"
              : "machine " + k.machine + " (" + k.uuid + ") is no longer in the census"));
        }
        k.last = info;
        if (info.isDone()) {
          if (k.doneSince == null) k.doneSince = now;
          if (expired(k, now)) continue;
        }
        result.put(k.id, info);
      }
    }
    return result;
  }

  /** APF's batch mapping of one machine's Vac state (see the class comment). */
  static PilotInfo info(MachineStatus m, Instant submitted, boolean retired) {
    PilotState state = state(m.state());
    return switch (state) {
      case DONE -> new PilotInfo(state, submitted, Optional.empty(), Optional.of(retired ? "retired"
          : m.finishReason() != null ? m.finishReason()
          : m.shutdownMessage() != null ? m.shutdownMessage() : "the machine shut down"));
      case HELD -> new PilotInfo(state, submitted, Optional.empty(),
          Optional.of("machine " + m.machine() + " is paused"));
      default -> new PilotInfo(state, submitted, Optional.empty(), Optional.empty());
    };
  }

  /** Vac's machine state as a pilot state; an unknown state counts as {@code IDLE}, never over-submitting. */
  static PilotState state(String vacState) {
    if (vacState == null) return PilotState.IDLE;
    return switch (vacState) {
      case MachineStatus.STARTING -> PilotState.IDLE;
      case MachineStatus.RUNNING -> PilotState.RUNNING;
      case MachineStatus.PAUSED -> PilotState.HELD;
      case MachineStatus.SHUT_DOWN -> PilotState.DONE;
      default -> PilotState.IDLE;
    };
  }

  // ---- retire ----------------------------------------------------------------------------------

  @Override
  public void retire(List<PilotId> pilots) {
    List<String> failures = new ArrayList<>();
    for (PilotId p : pilots) {
      Matcher name = NAME.matcher(p.name());
      if (!name.matches()) continue;
      Map<PilotId, Known> known = queue(p.queue());
      synchronized (known) {
        known.computeIfAbsent(p, i -> new Known(i, name.group(1), name.group(2), null)).retired = true;
      }
      try {
        destroy(p.queue(), name.group(1), name.group(2));
      } catch (RemoteFailure e) {
        failures.add(e.getMessage());
      }
    }
    if (!failures.isEmpty()) {
      throw new RemoteFailure(String.join("; ", failures));
    }
  }

  /** Destroys the machine {@code uuid} in slot {@code machine}, if it is still there; returns when it is gone. */
  private void destroy(String queue, String machine, String uuid) {
    Instant deadline = clock.instant().plus(retireTimeout);
    Duration ask = settings.censusTimeout().plus(settings.slot().shutdownGrace());
    String reason = "retired by pilot queue " + queue;
    while (true) {
      MachineStatus s;
      try {
        s = await(ClusterSharding.get(system).entityRefFor(SlotProtocol.ENTITY_KEY, machine)
            .<MachineStatus>askWithStatus(GetStatus::new, settings.censusTimeout()), "the status of " + machine);
      } catch (RemoteFailure e) {
        if (!Census.factoryNames(system).contains(factoryOf(machine))) {
          return;
        }
        throw e;
      }
      if (!uuid.equals(s.uuid()) || !s.occupied()) {
        return;
      }
      if (!MachineStatus.STARTING.equals(s.state())) {
        log.info("pilot queue {}: destroying pilot machine {} ({})", queue, machine, uuid);
        try {
          // With the uuid: if the machine ended and its slot was reused since the status above, the
          // slot refuses instead of destroying its new machine.
          await(ClusterSharding.get(system).entityRefFor(SlotProtocol.ENTITY_KEY, machine)
              .<MachineStatus>askWithStatus(r -> new Destroy(reason, "100 Retired by vacuum pilot queue " + queue,
                  uuid, r), ask), "destroying pilot machine " + machine + " (" + uuid + ")");
        } catch (RemoteFailure e) {
          if (stillThere(machine, uuid)) throw e;
        }
        return;
      }
      if (clock.instant().isAfter(deadline)) {
        throw new RemoteFailure("pilot queue " + queue + ": machine " + machine + " (" + uuid + ") was still starting "
            + retireTimeout.toSeconds() + " s after it was to be retired");
      }
      try {
        // A starting machine cannot be destroyed yet (its slot refuses): wait for it to run.
        Thread.sleep(STARTING_POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RemoteFailure("pilot queue " + queue + ": interrupted while retiring " + machine);
      }
    }
  }

  /** Slot {@code machine} as it describes itself; empty if it does not answer. */
  private Optional<MachineStatus> slotStatus(String machine) {
    try {
      return Optional.of(await(ClusterSharding.get(system).entityRefFor(SlotProtocol.ENTITY_KEY, machine)
          .<MachineStatus>askWithStatus(GetStatus::new, settings.censusTimeout()), "the status of " + machine));
    } catch (RemoteFailure e) {
      return Optional.empty();
    }
  }

  /** Whether slot {@code machine} still holds machine {@code uuid}, not yet shut down; true if the slot cannot tell. */
  private boolean stillThere(String machine, String uuid) {
    return slotStatus(machine).map(s -> uuid.equals(s.uuid()) && s.occupied()).orElse(true);
  }

  /** Nothing to release: the machines stay with their factories, and a new instance finds them by name. */
  @Override
  public void close() {}

  // ---- helpers ---------------------------------------------------------------------------------

  /** {@code f1-03.example.com}, {@code <uuid>} → the pilot's name. */
  static String pilotName(String machine, String uuid) {
    return machine + "_" + uuid;
  }

  private Map<PilotId, Known> queue(String queue) {
    return queues.computeIfAbsent(queue, q -> new LinkedHashMap<>());
  }

  private boolean expired(Known k, Instant now) {
    return k.doneSince != null && k.doneSince.plus(retention).isBefore(now);
  }

  private static Instant submitted(Known k) {
    return k.submitted == null ? Instant.EPOCH : k.submitted;
  }

  private static String factoryOf(String machine) {
    try {
      return SlotNames.factoryOf(machine);
    } catch (IllegalArgumentException e) {
      return machine;
    }
  }

  /** Waits for an ask or census; a refusal, a timeout or no answer is a {@link RemoteFailure} naming {@code what}. */
  private static <T> T await(CompletionStage<T> stage, String what) {
    try {
      return stage.toCompletableFuture().get(CREATE_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new RemoteFailure(what + ": " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
    } catch (TimeoutException e) {
      throw new RemoteFailure(what + ": no answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteFailure(what + ": interrupted", e);
    }
  }
}
