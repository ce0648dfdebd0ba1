package org.vacuum.protocol.factory;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.vacuum.protocol.CborSerializable;

/**
 * One machinetype of one factory as VacQuery 01.03's {@code machinetype_status} reply describes it
 * (reference/vac.md §3.4), with the same snake_case names, so tools written for Vac read it.
 *
 * <p>{@code running_*} count this factory's machines of the type that are running or starting (a
 * starting machine counts 1 processor); {@code num_before_fizzle} those starting, or running for
 * less than {@code fizzle_seconds}. {@code shutdown_message}/{@code shutdown_time}/{@code
 * shutdown_machine} are those of the type's most recently finished machine (Vac's {@code
 * finishes/TYPE}), or null; a machine that stopped before {@code fizzle_seconds} without a message
 * carries {@code "300 Vac detects fizzle after N seconds"}. Times are Unix seconds. The header
 * fields are the answering factory's.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(value = {"message_type", "running_cpus"}, allowGetters = true)
public record MachinetypeStatus(
    String vacVersion,
    String daemonVersion,
    String vacqueryVersion,
    String space,
    String factory,
    String site,
    long timeSent,
    int numMachinetypes,
    String machinetype,
    long bytesPerProcessor,
    int runningMachines,
    int runningProcessors,
    double runningHs06,
    int numBeforeFizzle,
    String shutdownMessage,
    Long shutdownTime,
    String shutdownMachine,
    long maxWallclockSeconds,
    int maxProcessors,
    String fqan)
    implements CborSerializable {

  @JsonProperty("message_type")
  public String messageType() {
    return "machinetype_status";
  }

  @JsonProperty("running_cpus")
  public int runningCpus() {
    return runningProcessors;
  }
}
