package org.vacuum.protocol.slot;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Vac's naming of slots (reference/vac.md §2.1): the machine in slot N of factory {@code
 * f1.example.com} is {@code f1-0N.example.com}, its address is {@code 169.254.169.N} and its MAC
 * {@code 56:4D:} followed by that address's octets in hex.
 */
public final class SlotNames {

  /** The first three octets of every machine address on Vac's NAT network. */
  public static final String ADDRESS_PREFIX = "169.254.169.";
  /** The factory's address on that network, where the MJF server listens (Vac's 169.254.169.253). */
  public static final String FACTORY_ADDRESS = "169.254.169.253";
  /** The metadata server's address (Vac's 169.254.169.254, on dummy0). */
  public static final String METADATA_ADDRESS = "169.254.169.254";

  private static final Pattern MACHINE = Pattern.compile("([a-z0-9-]+)-([0-9]{2})(\\..+)");

  private SlotNames() {}

  /** {@code f1.example.com}, 3 → {@code f1-03.example.com}. */
  public static String machineName(String factory, int ordinal) {
    if (ordinal < 0 || ordinal > 99) {
      throw new IllegalArgumentException("slot ordinal " + ordinal + " is not 0-99");
    }
    int dot = factory.indexOf('.');
    if (dot < 0) {
      throw new IllegalArgumentException("factory name " + factory + " is not fully qualified");
    }
    return factory.substring(0, dot) + String.format("-%02d", ordinal) + factory.substring(dot);
  }

  /** {@code f1-03.example.com} → {@code f1.example.com}. */
  public static String factoryOf(String machine) {
    Matcher m = match(machine);
    return m.group(1) + m.group(3);
  }

  /** {@code f1-03.example.com} → 3. */
  public static int ordinalOf(String machine) {
    return Integer.parseInt(match(machine).group(2));
  }

  /** True if the name has the shape of a machine name of this factory. */
  public static boolean isMachineOf(String factory, String name) {
    Matcher m = MACHINE.matcher(name);
    return m.matches() && (m.group(1) + m.group(3)).equals(factory);
  }

  /** 5 → {@code 169.254.169.5}. */
  public static String ip(int ordinal) {
    return ADDRESS_PREFIX + ordinal;
  }

  /** 5 → {@code 56:4D:A9:FE:A9:05}. */
  public static String mac(int ordinal) {
    return String.format("56:4D:A9:FE:A9:%02X", ordinal);
  }

  private static Matcher match(String machine) {
    Matcher m = MACHINE.matcher(machine);
    if (!m.matches()) {
      throw new IllegalArgumentException(machine + " is not a machine name (SHORT-NN.DOMAIN)");
    }
    return m;
  }
}
