package org.vacuum.config.vac;

import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;

/**
 * The whole vac.conf of a factory, read from its files in Vac's order and validated
 * (reference/vac.md §1). Immutable: a re-read produces a new one.
 *
 * @param files the files that were read, in order
 * @param warnings what Vac would only warn about (deprecated options, ignored sections), each
 *     {@code file:line: what}
 * @param fingerprint a digest of the merged content; equal fingerprints mean nothing changed
 */
public record VacConf(
    VacSettings settings,
    SortedMap<String, Machinetype> machinetypes,
    SortedMap<String, VacuumPipe> pipes,
    List<Path> files,
    List<String> warnings,
    String fingerprint) {}
