package org.vacuum.hypervisor.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Network;
import org.vacuum.config.VacuumSettings;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class VacNetworkTest {

  @TempDir Path dir;

  @Test
  void theNetworkHasVacsAddressAndAFixedLeaseForEachOfTheHundredSlots() throws Exception {
    String xml = VacNetwork.xml("f1.example.com", "eth1");
    Element network = XmlElement.parse(xml).getDocumentElement();

    assertEquals("vac_169.254.0.0", network.getElementsByTagName("name").item(0).getTextContent());
    Element forward = (Element) network.getElementsByTagName("forward").item(0);
    assertEquals("nat", forward.getAttribute("mode"));
    assertEquals("eth1", forward.getAttribute("dev"));
    Element ip = (Element) network.getElementsByTagName("ip").item(0);
    assertEquals("169.254.169.253", ip.getAttribute("address"));
    assertEquals("255.255.0.0", ip.getAttribute("netmask"));
    assertHundredHosts(xml, true);
    assertTrue(VacNetwork.hasVacAddress(xml));
    TestHosts.assertSchemaValid(xml, "network", dir);

    String unnamed = VacNetwork.xml("localhost", "");
    assertFalse(unnamed.contains("dev="), "no forward dev: libvirt chooses");
    assertHundredHosts(unnamed, false);
    TestHosts.assertSchemaValid(unnamed, "network", dir);
  }

  @Test
  void ensureNetworkCreatesTheNatNetworkRunningAndAutostarted() throws Exception {
    try (LibvirtHypervisor hypervisor = connect("", VacuumSettings.Network.VAC)) {
      hypervisor.ensureNetwork(false);

      Network net = hypervisor.connection().networkLookupByName(VacNetwork.NAME);
      assertEquals(1, net.isActive());
      assertEquals(1, net.isPersistent());
      assertTrue(net.getAutostart());
      String xml = net.getXMLDesc(0);
      assertTrue(VacNetwork.hasVacAddress(xml));
      assertHundredHosts(xml, true);

      String uuid = net.getUUIDString();
      hypervisor.ensureNetwork(false);
      assertEquals(uuid, hypervisor.connection().networkLookupByName(VacNetwork.NAME).getUUIDString(),
          "a right network is left as it is");
    }
  }

  @Test
  void ensureNetworkReplacesANetworkWithTheWrongAddress() throws Exception {
    String wrong = """
        <network>
          <name>vac_169.254.0.0</name>
          <uuid>11111111-2222-3333-4444-555555555555</uuid>
          <forward mode='nat'/>
          <bridge name='virbr1'/>
          <ip address='10.10.0.1' netmask='255.255.0.0'/>
        </network>
        """;
    try (LibvirtHypervisor hypervisor = connect(wrong, VacuumSettings.Network.VAC)) {
      Network before = hypervisor.connection().networkLookupByName(VacNetwork.NAME);
      assertFalse(VacNetwork.hasVacAddress(before.getXMLDesc(0)));
      assertEquals(1, before.isActive());

      hypervisor.ensureNetwork(true);

      Network after = hypervisor.connection().networkLookupByName(VacNetwork.NAME);
      assertNotEquals("11111111-2222-3333-4444-555555555555", after.getUUIDString(), "redefined");
      assertTrue(VacNetwork.hasVacAddress(after.getXMLDesc(0)));
      assertHundredHosts(after.getXMLDesc(0), true);
      assertEquals(1, after.isActive());
      assertTrue(after.getAutostart());
    }
  }

  @Test
  void userNetworkingNeedsNoNetwork() throws Exception {
    try (LibvirtHypervisor hypervisor = connect("", VacuumSettings.Network.USER)) {
      hypervisor.ensureNetwork(true);

      assertEquals(0, hypervisor.connection().numOfNetworks() + hypervisor.connection().numOfDefinedNetworks());
    }
  }

  private LibvirtHypervisor connect(String hostContents, VacuumSettings.Network mode) throws Exception {
    return LibvirtHypervisor.connect(TestHosts.settings(TestHosts.privateHost(dir, hostContents), mode), dir,
        "f1.example.com");
  }

  private static void assertHundredHosts(String networkXml, boolean named) {
    NodeList hosts = XmlElement.parse(networkXml).getDocumentElement().getElementsByTagName("host");
    assertEquals(100, hosts.getLength());
    for (int i = 0; i < 100; i++) {
      Element host = (Element) hosts.item(i);
      assertEquals(String.format("56:4D:A9:FE:A9:%02X", i), host.getAttribute("mac").toUpperCase());
      assertEquals("169.254.169." + i, host.getAttribute("ip"));
      assertEquals(named ? String.format("f1-%02d.example.com", i) : "", host.getAttribute("name"));
    }
  }
}
