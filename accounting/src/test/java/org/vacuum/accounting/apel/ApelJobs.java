package org.vacuum.accounting.apel;

import java.time.Instant;

/** The machines of the expected records in {@code src/test/resources/apel/}. */
final class ApelJobs {

  static final Instant START = Instant.ofEpochSecond(1_700_000_000L);

  private ApelJobs() {}

  /** One processor, lhcb, FQAN and gocdb_sitename and hs06_per_processor set: {@code fqan-set.txt}. */
  static ApelJob lhcb() {
    return new ApelJob("0f8e6c2a-1b3d-4e5f-9a7b-2c4d6e8f0a1b", "f1-03.example.com", "f1.example.com",
        "vac01.example.com", "UKI-NORTHGRID-EXAMPLE", "lhcb", "/lhcb/Role=NULL/Capability=NULL", 1, START,
        START.plusSeconds(7260), 6900, 2048, 10.0);
  }

  static ApelJob withUuid(ApelJob j, String uuid) {
    return new ApelJob(uuid, j.machine(), j.factory(), j.space(), j.gocdbSitename(), j.machinetype(),
        j.accountingFqan(), j.processors(), j.startTime(), j.endTime(), j.cpuSeconds(), j.mbPerProcessor(),
        j.hs06PerProcessor());
  }

  static ApelJob withFqan(ApelJob j, String fqan) {
    return new ApelJob(j.machineUuid(), j.machine(), j.factory(), j.space(), j.gocdbSitename(), j.machinetype(),
        fqan, j.processors(), j.startTime(), j.endTime(), j.cpuSeconds(), j.mbPerProcessor(), j.hs06PerProcessor());
  }

  static ApelJob withSitename(ApelJob j, String gocdbSitename) {
    return new ApelJob(j.machineUuid(), j.machine(), j.factory(), j.space(), gocdbSitename, j.machinetype(),
        j.accountingFqan(), j.processors(), j.startTime(), j.endTime(), j.cpuSeconds(), j.mbPerProcessor(),
        j.hs06PerProcessor());
  }

  static ApelJob withHs06(ApelJob j, Double hs06PerProcessor) {
    return new ApelJob(j.machineUuid(), j.machine(), j.factory(), j.space(), j.gocdbSitename(), j.machinetype(),
        j.accountingFqan(), j.processors(), j.startTime(), j.endTime(), j.cpuSeconds(), j.mbPerProcessor(),
        hs06PerProcessor);
  }

  static ApelJob withFactory(ApelJob j, String factory) {
    return new ApelJob(j.machineUuid(), j.machine(), factory, j.space(), j.gocdbSitename(), j.machinetype(),
        j.accountingFqan(), j.processors(), j.startTime(), j.endTime(), j.cpuSeconds(), j.mbPerProcessor(),
        j.hs06PerProcessor());
  }

  /** Eight processors of an atlas-mcore superslot for 12 hours: {@code multiprocessor.txt}. */
  static ApelJob multiprocessor() {
    return new ApelJob("6b1d7c3e-0a2f-4b8d-8e1c-5f3a9d2b7c40", "f2-00.example.com", "f2.example.com",
        "vac01.example.com", "UKI-NORTHGRID-EXAMPLE", "atlas-mcore", "/atlas/Role=production/Capability=NULL", 8,
        START, START.plusSeconds(43_200), 301_234, 2048, 12.5);
  }
}
