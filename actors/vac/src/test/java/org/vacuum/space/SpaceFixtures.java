package org.vacuum.space;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.config.vac.VacConfException;
import org.vacuum.config.vac.VacConfReader;
import org.vacuum.protocol.factory.MachinetypeStatus;

/** vac.conf texts read by the real reader, and {@code machinetype_status} replies, for the decision tests. */
final class SpaceFixtures {

  static final long NOW = 1_800_000_000L;

  private SpaceFixtures() {}

  /** Reads {@code [settings]} (with the space added) and the given sections as a factory of 8 processors. */
  static VacConf conf(String text) {
    try {
      Path dir = Files.createTempDirectory("vacconf");
      Path file = dir.resolve("vac.conf");
      Files.writeString(file, "[settings]\nvac_space = vac01.example.com\n" + text);
      return VacConfReader.read(new VacConfPaths(dir.resolve("vac.d"), file, dir.resolve("run.conf")),
          new Host("f1.example.com", 8, dir.resolve("state"), vg -> false, user -> java.util.OptionalLong.empty()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (VacConfException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** A machinetype section; {@code options} are extra lines like {@code "backoff_seconds = 20"}. */
  static String type(String name, double share, String... options) {
    StringBuilder s = new StringBuilder("\n[machinetype " + name + "]\ntarget_share = " + share
        + "\nmachine_model = vm-raw\nroot_image = /images/root.img\n");
    for (String o : options) {
      s.append(o).append('\n');
    }
    return s.toString();
  }

  static Machinetype machinetype(VacConf conf, String name) {
    return conf.machinetypes().get(name);
  }

  /** One factory's reply about one machinetype. */
  static MachinetypeStatus reply(String factory, String machinetype, double runningHs06, int numBeforeFizzle,
      String shutdownMessage, Long shutdownTime) {
    return new MachinetypeStatus("Vac vacuum", "Vac vacuum factory", "01.03", "vac01.example.com", factory, "SITE",
        NOW, 2, machinetype, 2048L << 20, (int) runningHs06, (int) runningHs06, runningHs06, numBeforeFizzle,
        shutdownMessage, shutdownTime, shutdownMessage == null ? null : "m", 86400, 1, null);
  }
}
