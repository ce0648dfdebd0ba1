package org.vacuum.config.vac;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What reading vac.conf needs to know about the factory it runs on. Vac looked these up itself
 * (hostname, /proc/cpuinfo, {@code vgs}, the passwd database); here the caller passes them, so
 * tests can pass plain values and lambdas.
 *
 * @param factoryName this factory's FQDN (Vac's hostname); short names in {@code factories} get its domain
 * @param processorCount the processors counted on this host (see {@link #countProcessors}); {@code
 *     total_processors} may not exceed it and defaults to it
 * @param stateDir the state directory; a machinetype's default {@code machinetype_path} is {@code
 *     <stateDir>/machinetypes/NAME}
 * @param volumeGroupExists whether an LVM volume group of that name exists
 * @param userId the uid of a user in the passwd database, empty if there is no such user
 */
public record Host(
    String factoryName,
    int processorCount,
    Path stateDir,
    Predicate<String> volumeGroupExists,
    Function<String, OptionalLong> userId) {

  /** A host whose users are looked up in this machine's passwd database ({@link #passwdUserId}). */
  public static Host of(String factoryName, int processorCount, Path stateDir, Predicate<String> volumeGroupExists) {
    return new Host(factoryName, processorCount, stateDir, volumeGroupExists, Host::passwdUserId);
  }

  /**
   * Counts processors as Vac did: the lines of {@code /proc/cpuinfo} that start with {@code
   * "processor\t:"}. 0 if the file cannot be read (Vac printed an error and went on with 0).
   */
  public static int countProcessors(Path cpuinfo) {
    try {
      return (int) Files.readAllLines(cpuinfo, StandardCharsets.ISO_8859_1).stream()
          .filter(line -> line.startsWith("processor\t:"))
          .count();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * The uid of {@code user} from the passwd database through {@code getent passwd} (so LDAP and
   * other NSS sources count, as they did for Python's {@code pwd.getpwnam}); falls back to reading
   * {@code /etc/passwd} where {@code getent} is missing.
   */
  public static OptionalLong passwdUserId(String user) {
    if (user.isEmpty() || user.contains(":") || user.contains("\n")) {
      return OptionalLong.empty();
    }
    try {
      Process getent = new ProcessBuilder("getent", "passwd", user).redirectErrorStream(true).start();
      String out = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!getent.waitFor(10, TimeUnit.SECONDS)) {
        getent.destroyForcibly();
        return fromPasswdFile(user);
      }
      return getent.exitValue() == 0 ? uidOf(user, List.of(out.split("\n"))) : OptionalLong.empty();
    } catch (IOException e) {
      return fromPasswdFile(user);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fromPasswdFile(user);
    }
  }

  private static OptionalLong fromPasswdFile(String user) {
    try {
      return uidOf(user, Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /** The uid field of {@code user}'s passwd line ({@code name:password:uid:gid:...}). */
  private static OptionalLong uidOf(String user, List<String> lines) {
    for (String line : lines) {
      String[] fields = line.split(":", -1);
      if (fields.length > 2 && fields[0].equals(user)) {
        try {
          return OptionalLong.of(Long.parseLong(fields[2].trim()));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }
}
