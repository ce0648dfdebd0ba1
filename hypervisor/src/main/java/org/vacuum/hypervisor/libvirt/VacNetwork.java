package org.vacuum.hypervisor.libvirt;

import static org.vacuum.hypervisor.libvirt.XmlElement.el;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.Network;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.protocol.slot.SlotNames;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Vac's NAT network for machines (reference/vac.md §2.1, §2.2 step 8): {@code vac_169.254.0.0},
 * netmask 255.255.0.0, the host at {@code .253}, NAT forwarding (through {@code forward_dev} when
 * set), persistent and autostarted, with a static DHCP entry (MAC, name, address) for each of the
 * 100 possible slots.
 *
 * <p>{@link #ensure} leaves the network defined, running and autostarted, or throws. A network of
 * that name with another address is destroyed and undefined first; one with the right address is
 * left as it is. The optional repair only touches this network's leftovers on the local host (its
 * bridge and its dnsmasq); Vac's {@code dummy0} step is not done, as vacuum does not use {@code
 * dummy0}.
 */
final class VacNetwork {

  /** The network's name, as Vac's, so a factory converted from Vac finds its network. */
  static final String NAME = "vac_169.254.0.0";
  static final String NETMASK = "255.255.0.0";
  /** Vac's limit: one fixed address per slot ordinal 0-99. */
  static final int HOSTS = 100;

  private static final Logger log = LoggerFactory.getLogger(VacNetwork.class);

  private VacNetwork() {}

  /**
   * The network document. Hosts are named after {@code factory}'s slots when it is fully
   * qualified, else they have only MAC and address. {@code forwardDev} empty or null = libvirt
   * chooses the outbound interface.
   */
  static String xml(String factory, String forwardDev) {
    boolean named = factory != null && factory.indexOf('.') > 0;
    XmlElement dhcp = el("dhcp");
    for (int ordinal = 0; ordinal < HOSTS; ordinal++) {
      XmlElement host = el("host").attr("mac", SlotNames.mac(ordinal));
      if (named) {
        host.attr("name", SlotNames.machineName(factory, ordinal));
      }
      dhcp.add(host.attr("ip", SlotNames.ip(ordinal)));
    }
    XmlElement forward = el("forward").attr("mode", "nat");
    if (forwardDev != null && !forwardDev.isBlank()) {
      forward.attr("dev", forwardDev.trim());
    }
    return el("network").add(
        el("name").text(NAME),
        forward,
        el("ip").attr("address", SlotNames.FACTORY_ADDRESS).attr("netmask", NETMASK).add(dhcp))
        .toString();
  }

  /** True if the network document gives the host Vac's address and netmask. */
  static boolean hasVacAddress(String networkXml) {
    NodeList ips = XmlElement.parse(networkXml).getDocumentElement().getElementsByTagName("ip");
    for (int i = 0; i < ips.getLength(); i++) {
      Element ip = (Element) ips.item(i);
      boolean mask = NETMASK.equals(ip.getAttribute("netmask")) || "16".equals(ip.getAttribute("prefix"));
      if (SlotNames.FACTORY_ADDRESS.equals(ip.getAttribute("address")) && mask) {
        return true;
      }
    }
    return false;
  }

  /** The bridge libvirt gave the network, if its document names one. */
  static Optional<String> bridgeName(String networkXml) {
    NodeList bridges = XmlElement.parse(networkXml).getDocumentElement().getElementsByTagName("bridge");
    return bridges.getLength() == 0
        ? Optional.empty()
        : Optional.of(((Element) bridges.item(0)).getAttribute("name")).filter(n -> !n.isEmpty());
  }

  /**
   * Leaves the network defined, running and autostarted. {@code hostRepair} says whether the
   * repair may touch this host (only when the hypervisor is local).
   */
  static void ensure(Connect conn, String factory, String forwardDev, boolean fixNetworking, boolean hostRepair)
      throws HypervisorException {
    try {
      Network net = lookup(conn);
      if (net != null) {
        String current = net.getXMLDesc(0);
        if (!hasVacAddress(current)) {
          log.warn("network {} does not have address {}/{}: destroying and undefining it", NAME,
              SlotNames.FACTORY_ADDRESS, NETMASK);
          if (net.isActive() == 1) {
            net.destroy();
          }
          // A transient network is gone once destroyed; only a persistent one has a definition left.
          if (lookup(conn) != null) {
            net.undefine();
          }
          net = null;
        } else if (net.isPersistent() != 1) {
          // Defining a running transient network keeps it running and makes it persistent, so it
          // can autostart.
          net = conn.networkDefineXML(current);
        }
      }
      if (net == null) {
        net = conn.networkDefineXML(xml(factory, forwardDev));
        log.info("defined network {}", NAME);
      }
      if (net.isActive() != 1) {
        start(net, fixNetworking, hostRepair);
      }
      if (!net.getAutostart()) {
        net.setAutostart(true);
      }
    } catch (LibvirtException e) {
      throw new HypervisorException("network " + NAME + ": " + e.getMessage(), e);
    }
  }

  private static void start(Network net, boolean fixNetworking, boolean hostRepair)
      throws LibvirtException, HypervisorException {
    try {
      net.create();
      log.info("started network {}", NAME);
      return;
    } catch (LibvirtException e) {
      if (!fixNetworking) {
        throw new HypervisorException("network " + NAME + " will not start: " + e.getMessage()
            + " (fix_networking is off, so no repair was tried)", e);
      }
      log.warn("network {} will not start: {}; repairing", NAME, e.getMessage());
    }
    if (hostRepair) {
      repair(net.getXMLDesc(0));
    } else {
      log.warn("network {}: the hypervisor is not on this host, so there is nothing here to repair", NAME);
    }
    try {
      net.create();
      log.info("started network {} after repair", NAME);
    } catch (LibvirtException e) {
      throw new HypervisorException("network " + NAME + " will not start, even after repair: " + e.getMessage(), e);
    }
  }

  /**
   * Vac's repair, for what a crashed or half-stopped network leaves behind: its bridge still up,
   * and its dnsmasq still holding the DHCP port on .253. Each step is logged with its outcome.
   */
  private static void repair(String networkXml) {
    Optional<String> bridge = bridgeName(networkXml);
    if (bridge.isPresent()) {
      run("ip", "link", "set", "dev", bridge.get(), "down");
      run("ip", "link", "delete", "dev", bridge.get());
    } else {
      log.warn("repair: network {} names no bridge, none to remove", NAME);
    }
    ProcessHandle.allProcesses()
        .filter(p -> p.info().command().map(c -> c.endsWith("/dnsmasq") || c.equals("dnsmasq")).orElse(false))
        .filter(p -> servesVacNetwork(p.info().arguments().orElse(new String[0])))
        .forEach(p -> {
          boolean killed = p.destroyForcibly();
          log.warn("repair: kill -9 dnsmasq pid {} of network {}: {}", p.pid(), NAME, killed ? "done" : "failed");
        });
  }

  /** A dnsmasq run for this network: libvirt names its conf file after the network, which listens on .253. */
  private static boolean servesVacNetwork(String[] args) {
    for (String arg : args) {
      if (arg.startsWith("--conf-file=")) {
        Path conf = Path.of(arg.substring("--conf-file=".length()));
        if (conf.getFileName() != null && conf.getFileName().toString().startsWith(NAME)) {
          return true;
        }
        try {
          return Files.readString(conf, StandardCharsets.UTF_8).contains(SlotNames.FACTORY_ADDRESS);
        } catch (IOException | RuntimeException e) {
          return false;
        }
      }
    }
    return false;
  }

  private static void run(String... command) {
    List<String> cmd = List.of(command);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        log.warn("repair: {}: did not finish in 30 s", String.join(" ", cmd));
        return;
      }
      log.warn("repair: {}: exit {}{}", String.join(" ", cmd), p.exitValue(), output.isEmpty() ? "" : " (" + output + ")");
    } catch (IOException e) {
      log.warn("repair: {}: {}", String.join(" ", cmd), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Network lookup(Connect conn) throws LibvirtException {
    try {
      return conn.networkLookupByName(NAME);
    } catch (LibvirtException e) {
      if (e.getError().getCode() == org.libvirt.Error.ErrorNumber.VIR_ERR_NO_NETWORK) {
        return null;
      }
      throw e;
    }
  }
}
