package org.vacuum.config.vac;

/**
 * vac.conf cannot be used. The message is meant for the site admin as it stands: {@code
 * FILE:LINE: what is wrong} when one line is at fault, otherwise it names the file(s) and what to
 * add. Like Vac's {@code readConf} error string, it means "keep the last good configuration and try
 * again after the next edit".
 */
public final class VacConfException extends Exception {

  private static final long serialVersionUID = 1L;

  public VacConfException(String message) {
    super(message);
  }

  /** An error at one line: {@code FILE:LINE: what}. */
  static VacConfException at(IniParser.Origin origin, String what) {
    return new VacConfException(origin + ": " + what);
  }
}
