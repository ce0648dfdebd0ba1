package org.vacuum.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of vacuum this node runs, as it appears in VacQuery replies and the CLI. */
public final class VacuumVersion {

  /** The Maven project version, e.g. {@code 0.1.0}. */
  public static final String VERSION = load();

  private VacuumVersion() {}

  /** Vac's {@code vac_version} shape: product and version. */
  public static String vacVersion() {
    return "vacuum " + VERSION;
  }

  /** Vac's {@code daemon_version} shape: product, version and the daemon that answers. */
  public static String daemonVersion(String daemon) {
    return vacVersion() + " " + daemon;
  }

  private static String load() {
    try (InputStream in = VacuumVersion.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException | NullPointerException e) {
      throw new UncheckedIOException(new IOException("org/vacuum/protocol/version.properties is missing from the build", e));
    }
  }
}
