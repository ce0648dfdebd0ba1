package org.vacuum.protocol.slot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.vacuum.protocol.CborSerializable;

/**
 * One slot as VacQuery 01.03's {@code machine_status} reply describes it (reference/vac.md §3.5),
 * with the same snake_case names, so tools written for {@code vac machines --json} read it.
 *
 * <p>{@code state} is one of Vac's strings: {@code Starting}, {@code Running}, {@code Paused},
 * {@code Shut down}. A slot that never had a machine has {@code machinetype}, {@code uuid} and the
 * times {@code null}. Times are Unix seconds. The header fields ({@code space} … {@code
 * num_machines}) are the answering factory's, filled when the factory answers a query. {@code
 * finish_reason} is vacuum's addition: why the machine stopped, when vacuum knows.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(value = {"message_type", "num_cpus"}, allowGetters = true)
public record MachineStatus(
    String vacVersion,
    String daemonVersion,
    String vacqueryVersion,
    String space,
    String factory,
    String site,
    long timeSent,
    int numMachines,
    String machine,
    String state,
    String machineModel,
    String uuid,
    Long createdTime,
    Long startedTime,
    Long heartbeatTime,
    int numProcessors,
    double cpuSeconds,
    double cpuPercentage,
    double hs06,
    String machinetype,
    String shutdownMessage,
    Long shutdownTime,
    String fqan,
    String finishReason)
    implements CborSerializable {

  public static final String STARTING = "Starting";
  public static final String RUNNING = "Running";
  public static final String PAUSED = "Paused";
  public static final String SHUT_DOWN = "Shut down";

  /** A slot that has never had a machine. */
  public static MachineStatus empty(String machine) {
    return new MachineStatus(null, null, null, null, null, null, 0, 0, machine, SHUT_DOWN, null, null,
        null, null, null, 0, 0, 0, 0, null, null, null, null, null);
  }

  /** This status with the answering factory's header fields. */
  public MachineStatus withHeader(String vacVersion, String daemonVersion, String vacqueryVersion, String space,
      String factory, String site, long timeSent, int numMachines) {
    return new MachineStatus(vacVersion, daemonVersion, vacqueryVersion, space, factory, site, timeSent, numMachines,
        machine, state, machineModel, uuid, createdTime, startedTime, heartbeatTime, numProcessors, cpuSeconds,
        cpuPercentage, hs06, machinetype, shutdownMessage, shutdownTime, fqan, finishReason);
  }

  @JsonProperty("message_type")
  public String messageType() {
    return "machine_status";
  }

  @JsonProperty("num_cpus")
  public int numCpus() {
    return numProcessors;
  }

  /** True while the slot holds a machine that is starting or running (it uses processors). */
  public boolean occupied() {
    return STARTING.equals(state) || RUNNING.equals(state) || PAUSED.equals(state);
  }
}
