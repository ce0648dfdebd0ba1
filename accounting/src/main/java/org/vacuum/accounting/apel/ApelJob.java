package org.vacuum.accounting.apel;

import java.time.Instant;

/**
 * Everything an APEL individual job record (reference/vac.md §5.2) says about one finished
 * machine, gathered from the machine's {@code MachineCreated}/{@code MachineFinished} events and
 * the factory's configuration at the time it is accounted.
 *
 * @param machineUuid the machine's uuid: {@code LocalJobId}, and the key that makes accounting
 *     idempotent (one record per uuid, ever)
 * @param machine the machine's FQDN (the slot name)
 * @param factory the factory's FQDN ({@code LocalUserId}, part of {@code SubmitHost})
 * @param space the space ({@code vac_space}); gives {@code GlobalUserName} and the default Site
 * @param gocdbSitename {@code gocdb_sitename}, or null when unset
 * @param machinetype the machinetype ({@code Queue})
 * @param accountingFqan the machinetype's {@code accounting_fqan}, or null (no FQAN line)
 * @param processors allocated processors
 * @param startTime when the machine started
 * @param endTime the last time it was seen running (last heartbeat)
 * @param cpuSeconds CPU time used, in seconds
 * @param mbPerProcessor memory per processor in MB ({@code MemoryReal} = MB × processors × 1024)
 * @param hs06PerProcessor the machinetype's HS06 per processor, or null when {@code
 *     hs06_per_processor} is unset ({@code ServiceLevel} 1.0, archive only)
 */
public record ApelJob(
    String machineUuid,
    String machine,
    String factory,
    String space,
    String gocdbSitename,
    String machinetype,
    String accountingFqan,
    int processors,
    Instant startTime,
    Instant endTime,
    long cpuSeconds,
    long mbPerProcessor,
    Double hs06PerProcessor) {}
