package org.vacuum.config.vac;

import java.util.Map;

/**
 * A {@code [vacuum_pipe PREFIX]} section as written (reference/vac.md §1.4). {@link VacConfReader}
 * expands it into the {@code PREFIX-SUFFIX} machinetypes of {@link VacConf#machinetypes()}, with
 * the pipe from {@link VacuumPipes}.
 *
 * @param options every other option of the section, lower-cased names, copied into each generated
 *     machinetype that does not set it itself
 */
public record VacuumPipe(String prefix, String vacuumPipeUrl, double targetShare, Map<String, String> options) {}
