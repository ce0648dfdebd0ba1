package org.vacuum.config.vac;

import java.io.IOException;

/**
 * Gets the bytes of a vacuum pipe's JSON from its {@code vacuum_pipe_url} (reference/vac.md §7.2).
 * The reader only asks; {@link VacuumPipes} decides when. Implementations block until the body
 * has arrived or the attempt has failed, and throw with a reason a site admin can act on.
 */
@FunctionalInterface
public interface PipeFetcher {

  /**
   * @throws IOException why the pipe could not be had (unreachable, an HTTP error status, a
   *     missing file, an unsupported scheme, ...)
   */
  byte[] fetch(String url) throws IOException;

  /** The real one: {@code http://}, {@code https://} and {@code file:} URLs ({@link HttpPipeFetcher}). */
  static PipeFetcher standard() {
    return new HttpPipeFetcher();
  }
}
