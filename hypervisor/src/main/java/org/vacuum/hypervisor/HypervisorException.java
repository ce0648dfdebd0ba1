package org.vacuum.hypervisor;

/**
 * A hypervisor call that failed. The message names the machine (or network, pool) concerned and
 * what libvirt said, so it can go unchanged into a factory error or a log line.
 */
public class HypervisorException extends Exception {

  private static final long serialVersionUID = 1L;

  public HypervisorException(String message) {
    super(message);
  }

  public HypervisorException(String message, Throwable cause) {
    super(message, cause);
  }
}
