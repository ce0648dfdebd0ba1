package org.vacuum.config.vac;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code [settings]} section of vac.conf after defaults and aliases (reference/vac.md §1.2).
 * Unset optional values are {@code null}.
 *
 * @param totalProcessors {@code total_processors}, or the host's processor count when unset
 * @param hs06PerProcessor {@code hs06_per_processor}; null when unset (Vac then uses 1.0 internally,
 *     writes no MJF hs06 keys, and sends APEL records to the archive only)
 * @param shutdownTime {@code shutdown_time} as Unix seconds
 */
public record VacSettings(
    String vacSpace,
    List<String> factories,
    double udpTimeoutSeconds,
    int mbPerProcessor,
    Double hs06PerProcessor,
    int processorsPerSuperslot,
    int totalProcessors,
    double overloadPerProcessor,
    Long shutdownTime,
    boolean draining,
    String gocdbSitename,
    String gocdbCertFile,
    String gocdbKeyFile,
    String description,
    int versionLogger,
    List<String> vacmonHostport,
    String volumeGroup,
    Integer diskGbPerProcessor,
    Path rootPublicKey,
    String singularityUser,
    boolean fixNetworking,
    String forwardDev,
    Map<String, String> userDataOptions,
    Map<String, String> userDataFiles,
    Map<String, String> machinefeaturesOptions) {

  /** HS06 per processor as Vac computes with it: the setting, or 1.0 when unset. */
  public double hs06PerProcessorOrDefault() {
    return hs06PerProcessor == null ? 1.0 : hs06PerProcessor;
  }
}
