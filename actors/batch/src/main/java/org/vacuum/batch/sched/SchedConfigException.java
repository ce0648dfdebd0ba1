package org.vacuum.batch.sched;

/** A queue's sched configuration cannot be used; the message names the key and the value. */
public final class SchedConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String key;

  public SchedConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  /** The configuration key at fault, e.g. {@code sched.maxpending.maximum}. */
  public String key() {
    return key;
  }
}
