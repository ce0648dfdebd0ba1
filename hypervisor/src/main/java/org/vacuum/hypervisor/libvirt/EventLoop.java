package org.vacuum.hypervisor.libvirt;

import org.libvirt.Connect;
import org.libvirt.ErrorCallback;
import org.libvirt.LibvirtException;
import org.libvirt.Library;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's process-wide set-up, done once per JVM before the first connection: the default event
 * loop (libvirt delivers domain events and remote keepalives only through it, and a remote
 * connection must be opened after it is registered), run by the daemon thread {@code
 * libvirt-events}; and a silent error handler, since libvirt otherwise prints every error, even an
 * expected "domain not found", to stderr. Errors still reach callers as exceptions.
 */
final class EventLoop {

  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  // Held here so the JNA callback libvirt calls can never be collected.
  private static final ErrorCallback SILENT = new ErrorCallback();

  private static boolean initialised;
  private static boolean running;

  private EventLoop() {}

  /** Sets libvirt up if not done yet; returns whether events can be had. */
  static synchronized boolean start() {
    if (initialised) {
      return running;
    }
    initialised = true;
    try {
      Connect.setErrorCallback(SILENT);
    } catch (LibvirtException e) {
      log.debug("libvirt error handler not replaced: {}", e.getMessage());
    }
    try {
      Library.initEventLoop();
    } catch (LibvirtException | RuntimeException e) {
      log.warn("libvirt event loop unavailable ({}): domain stops will be found by polling", e.getMessage());
      return false;
    }
    Thread thread = new Thread(EventLoop::run, "libvirt-events");
    thread.setDaemon(true);
    thread.start();
    running = true;
    return true;
  }

  private static void run() {
    while (true) {
      try {
        Library.runEventLoop();
      } catch (InterruptedException e) {
        return;
      } catch (LibvirtException | RuntimeException e) {
        // One failed iteration must not end event delivery for the rest of the JVM's life; the
        // pause keeps a persistent failure from flooding the log.
        log.warn("libvirt event loop: {}", e.getMessage());
        try {
          Thread.sleep(1000);
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }
}
