package org.vacuum.protocol.factory;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.vacuum.protocol.CborSerializable;

/**
 * A factory's answer to a {@code factory_query}: the fields of VacQuery 01.03's {@code
 * factory_status} reply (reference/vac.md §3.6), with the same snake_case names on the wire and in
 * the admin API, so tools written for Vac's {@code vac factories --json} read it unchanged.
 *
 * <p>Times are Unix seconds. Heartbeat times of servers that do not exist yet on this node are
 * {@code null}. Vac's deprecated aliases ({@code running_cpus}, {@code max_cpus}, {@code
 * total_*}, {@code vac_disk_*}) are written for old readers and ignored when read back. {@code
 * draining} and {@code factory_error} (Vac's {@code factory-error} file: the last creation failure,
 * or a rejected vac.conf edit; null when none) are vacuum's additions.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(
    value = {"message_type", "running_cpus", "max_cpus", "total_cpus", "total_machines", "total_hs06",
             "vac_disk_avail_kb", "vac_disk_avail_inodes"},
    allowGetters = true)
public record FactoryStatus(
    String vacVersion,
    String daemonVersion,
    String vacqueryVersion,
    String space,
    String factory,
    String site,
    long timeSent,
    int runningProcessors,
    int runningMachines,
    double runningHs06,
    int maxProcessors,
    int maxMachines,
    double maxHs06,
    long rootDiskAvailKb,
    long rootDiskAvailInodes,
    long daemonDiskAvailKb,
    long daemonDiskAvailInodes,
    double loadAverage,
    String kernelVersion,
    String osIssue,
    long bootTime,
    Long factoryHeartbeatTime,
    Long responderHeartbeatTime,
    Long mjfHeartbeatTime,
    Long metadataHeartbeatTime,
    long swapUsedKb,
    long swapFreeKb,
    long memUsedKb,
    long memTotalKb,
    boolean draining,
    String factoryError)
    implements CborSerializable {

  /** VacQuery's protocol version, the one whose fields this record carries. */
  public static final String VACQUERY_VERSION = "VacQuery 01.03";

  @JsonProperty("message_type")
  public String messageType() {
    return "factory_status";
  }

  @JsonProperty("running_cpus")
  public int runningCpus() {
    return runningProcessors;
  }

  @JsonProperty("max_cpus")
  public int maxCpus() {
    return maxProcessors;
  }

  @JsonProperty("total_cpus")
  public int totalCpus() {
    return maxProcessors;
  }

  @JsonProperty("total_machines")
  public int totalMachines() {
    return maxMachines;
  }

  @JsonProperty("total_hs06")
  public double totalHs06() {
    return maxHs06;
  }

  @JsonProperty("vac_disk_avail_kb")
  public long vacDiskAvailKb() {
    return daemonDiskAvailKb;
  }

  @JsonProperty("vac_disk_avail_inodes")
  public long vacDiskAvailInodes() {
    return daemonDiskAvailInodes;
  }

  /** The short host name Vac's commands print: the factory name up to its first dot. */
  @JsonIgnore
  public String shortName() {
    int dot = factory.indexOf('.');
    return dot < 0 ? factory : factory.substring(0, dot);
  }
}
