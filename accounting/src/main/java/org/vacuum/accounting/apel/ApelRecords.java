package org.vacuum.accounting.apel;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * The text of APEL records (reference/vac.md §5.2): one individual job record, in APEL's
 * {@code v0.3} "key: value" format, per finished machine. Pure functions of an {@link ApelJob}; the
 * files they go into are {@link ApelArchive}'s business.
 */
public final class ApelRecords {

  private ApelRecords() {}

  /**
   * Whether a finished machine gets a record at all (§5.1): it started, it was seen running, and
   * it ran at least {@code fizzleSeconds} (last heartbeat − start, in whole seconds as in
   * WallDuration). A machine that never started, or fizzled, is never accounted.
   *
   * @param started when the machine started, or null if it never did
   * @param lastHeartbeat the last time it was seen running, or null if never
   * @param fizzleSeconds the machinetype's {@code fizzle_seconds}
   */
  public static boolean accountable(Instant started, Instant lastHeartbeat, int fizzleSeconds) {
    if (started == null || lastHeartbeat == null) {
      return false;
    }
    return lastHeartbeat.getEpochSecond() - started.getEpochSecond() >= fizzleSeconds;
  }

  /** The individual job record, ending {@code "%%\n"}; lines end with {@code \n}. */
  public static String individual(ApelJob job) {
    long start = job.startTime().getEpochSecond();
    long end = job.endTime().getEpochSecond();
    long memoryKiB = job.mbPerProcessor() * job.processors() * 1024L;
    StringBuilder r = new StringBuilder(640);
    line(r, "APEL-individual-job-message", "v0.3");
    line(r, "Site", site(job));
    line(r, "SubmitHost", submitHost(job.space(), job.factory()));
    line(r, "LocalJobId", job.machineUuid());
    line(r, "LocalUserId", job.factory());
    line(r, "Queue", job.machinetype());
    line(r, "GlobalUserName", globalUserName(job.space()));
    if (job.accountingFqan() != null && !job.accountingFqan().isBlank()) {
      line(r, "FQAN", job.accountingFqan().trim());
    }
    line(r, "WallDuration", Long.toString(end - start));
    line(r, "CpuDuration", Long.toString(job.cpuSeconds()));
    line(r, "Processors", Integer.toString(job.processors()));
    line(r, "NodeCount", "1");
    line(r, "InfrastructureDescription", "APEL-VAC");
    line(r, "InfrastructureType", "grid");
    line(r, "StartTime", Long.toString(start));
    line(r, "EndTime", Long.toString(end));
    line(r, "MemoryReal", Long.toString(memoryKiB));
    line(r, "MemoryVirtual", Long.toString(memoryKiB));
    line(r, "ServiceLevelType", "HEPSPEC");
    line(r, "ServiceLevel", decimal(job.hs06PerProcessor() == null ? 1.0 : job.hs06PerProcessor()));
    return r.append("%%\n").toString();
  }

  /**
   * The record's Site: {@code gocdb_sitename}, or else the space without its first label (Vac's
   * placeholder: such records stay in apel-archive and are fixed by hand before republishing).
   */
  public static String site(ApelJob job) {
    if (job.gocdbSitename() != null && !job.gocdbSitename().isBlank()) {
      return job.gocdbSitename().trim();
    }
    int dot = job.space().indexOf('.');
    return dot < 0 ? job.space() : job.space().substring(dot + 1);
  }

  /** SubmitHost: {@code <space>/vac-<factory>}, shared by individual and sync records. */
  public static String submitHost(String space, String factory) {
    return space + "/vac-" + factory;
  }

  /** GlobalUserName: the space's labels as DCs, last label first ({@code a.b.c} → {@code /DC=c/DC=b/DC=a}). */
  public static String globalUserName(String space) {
    String[] labels = space.split("\\.");
    StringBuilder dn = new StringBuilder();
    for (int i = labels.length - 1; i >= 0; i--) {
      dn.append("/DC=").append(labels[i]);
    }
    return dn.toString();
  }

  /**
   * Whether the record also goes to apel-outgoing (§5.3): only when {@code gocdb_sitename} and
   * {@code hs06_per_processor} are both set; otherwise it is kept in apel-archive only.
   */
  public static boolean publishable(ApelJob job) {
    return job.gocdbSitename() != null && !job.gocdbSitename().isBlank() && job.hs06PerProcessor() != null;
  }

  private static void line(StringBuilder r, String key, String value) {
    r.append(key).append(": ").append(value).append('\n');
  }

  // Vac prints a Python float: always a decimal point, never an exponent (10 → "10.0").
  static String decimal(double value) {
    String plain = new BigDecimal(Double.toString(value)).toPlainString();
    return plain.contains(".") ? plain : plain + ".0";
  }
}
