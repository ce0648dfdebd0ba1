package org.vacuum.hypervisor.machine;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What a machine's Machine/Job Features are computed from (reference/vac.md §4.1); {@link
 * MachineDirectory#writeFeatures} turns it into files.
 *
 * @param jobId the machine's uuid, written as {@code jobfeatures/job_id}
 * @param processors processors given to the machine (at least 1)
 * @param createdAt creation time, Unix seconds ({@code jobstart_secs}, and the start of the wall limit)
 * @param shutdownTime when the machine must be gone, Unix seconds ({@code shutdowntime})
 * @param hs06PerProcessor {@code hs06_per_processor}; null when unset, and then no {@code hs06} or
 *     {@code hs06_job} key is written
 * @param mbPerProcessor MiB of memory per processor
 * @param extraMachinefeatures {@code machinefeatures_option_XXX} values by XXX; null means none
 */
public record MachineFeatures(
    UUID jobId,
    int processors,
    long createdAt,
    long shutdownTime,
    Double hs06PerProcessor,
    int mbPerProcessor,
    Map<String, String> extraMachinefeatures) {

  public MachineFeatures {
    Objects.requireNonNull(jobId, "jobId");
    if (processors < 1) {
      throw new IllegalArgumentException("processors " + processors + " is not at least 1");
    }
    if (mbPerProcessor < 0) {
      throw new IllegalArgumentException("mbPerProcessor " + mbPerProcessor + " is negative");
    }
    // Sorted so the files are written in a stable order whatever map the caller had.
    extraMachinefeatures = extraMachinefeatures == null
        ? Map.of()
        : Collections.unmodifiableMap(new TreeMap<>(extraMachinefeatures));
  }

  /** {@code wall_limit_secs}: the time from creation to shutdown, never negative. */
  public long wallLimitSecs() {
    return Math.max(0, shutdownTime - createdAt);
  }

  /** {@code cpu_limit_secs}: the wall limit on every processor. */
  public long cpuLimitSecs() {
    return wallLimitSecs() * processors;
  }

  /** {@code max_rss_bytes}: the machine's memory in bytes. */
  public long maxRssBytes() {
    return (long) mbPerProcessor * processors * 1048576L;
  }

  /** {@code hs06} and {@code hs06_job}, or null when hs06_per_processor is unset. */
  public Double hs06() {
    return hs06PerProcessor == null ? null : hs06PerProcessor * processors;
  }
}
