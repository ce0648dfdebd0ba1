package org.vacuum.config.vac;

import java.util.Optional;

/**
 * vac.conf cannot be used. The message is meant for the site admin as it stands: {@code
 * FILE:LINE: what is wrong} when one line is at fault, otherwise it names the file(s) and what to
 * add. Like Vac's {@code readConf} error string, it means "keep the last good configuration and try
 * again after the next edit".
 */
public final class VacConfException extends Exception {

  private static final long serialVersionUID = 1L;

  // Where the fault is, when one value is at fault: lets the reader tell a pipe's value from a local one.
  private final transient IniParser.Origin origin;

  public VacConfException(String message) {
    this(message, null);
  }

  private VacConfException(String message, IniParser.Origin origin) {
    super(message);
    this.origin = origin;
  }

  /** An error at one line: {@code FILE:LINE: what}. */
  static VacConfException at(IniParser.Origin origin, String what) {
    return new VacConfException(origin + ": " + what, origin);
  }

  /** The value at fault, if the error is about one. */
  Optional<IniParser.Origin> origin() {
    return Optional.ofNullable(origin);
  }
}
