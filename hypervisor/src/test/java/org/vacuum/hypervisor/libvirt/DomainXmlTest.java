package org.vacuum.hypervisor.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.vacuum.config.VacuumSettings.Network;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.hypervisor.DomainSpec;
import org.w3c.dom.Element;

class DomainXmlTest {

  @TempDir Path dir;

  private DomainSpec spec(MachineModel model, String rootDevice, String volumeGroup) {
    return new DomainSpec("f1-07.example.com", UUID.fromString("0b6f5b9e-7a44-4d3a-9d7e-3c1f6a2b8e01"), 7, model, 4,
        8192, dir.resolve("images/root image & co.img"), 40_000_000_000L, rootDevice, "vdb", volumeGroup,
        dir.resolve("machines/1700000000_lhcb_f1-07.example.com"));
  }

  private static final DomainXml.Disks OVERLAY_AND_SCRATCH = new DomainXml.Disks(
      Path.of("/var/lib/vacuum/disks/f1-07.example.com.qcow2"), "qcow2", false, Path.of("/dev/vg0/f1-07.example.com"));

  @Test
  void vmRawBootsItsOverlayWithTheSlotsMacConsoleAndVnc() throws Exception {
    String xml = DomainXml.of(spec(MachineModel.VM_RAW, "vda", "vg0"), DomainXml.VirtType.QEMU, Network.VAC,
        OVERLAY_AND_SCRATCH);
    Element domain = XmlElement.parse(xml).getDocumentElement();

    assertEquals("qemu", domain.getAttribute("type"));
    assertEquals("f1-07.example.com", text(domain, "name"));
    assertEquals("0b6f5b9e-7a44-4d3a-9d7e-3c1f6a2b8e01", text(domain, "uuid"));
    assertEquals("8192", text(domain, "memory"));
    assertEquals("MiB", first(domain, "memory").getAttribute("unit"));
    assertEquals("4", text(domain, "vcpu"));
    assertEquals("hd", first(domain, "boot").getAttribute("dev"));
    assertEquals(0, domain.getElementsByTagName("cpu").getLength(), "no host-passthrough without KVM");
    for (String event : new String[] {"on_poweroff", "on_reboot", "on_crash"}) {
      assertEquals("destroy", text(domain, event));
    }
    assertEquals("utc", first(domain, "clock").getAttribute("offset"));
    assertTrue(xml.contains("<acpi/>") && xml.contains("<apic/>") && xml.contains("<pae/>"));

    Element root = (Element) domain.getElementsByTagName("disk").item(0);
    assertEquals("file", root.getAttribute("type"));
    assertEquals("/var/lib/vacuum/disks/f1-07.example.com.qcow2", first(root, "source").getAttribute("file"));
    assertEquals("qcow2", first(root, "driver").getAttribute("type"));
    assertEquals("unsafe", first(root, "driver").getAttribute("cache"));
    assertEquals("report", first(root, "driver").getAttribute("error_policy"));
    assertEquals("virtio", first(root, "target").getAttribute("bus"));
    Element scratch = (Element) domain.getElementsByTagName("disk").item(1);
    assertEquals("block", scratch.getAttribute("type"));
    assertEquals("/dev/vg0/f1-07.example.com", first(scratch, "source").getAttribute("dev"));
    assertEquals("vdb", first(scratch, "target").getAttribute("dev"));
    assertEquals(2, domain.getElementsByTagName("disk").getLength(), "no CD-ROM for vm-raw");

    Element nic = first(domain, "interface");
    assertEquals("network", nic.getAttribute("type"));
    assertEquals("56:4D:A9:FE:A9:07", first(nic, "mac").getAttribute("address"));
    assertEquals("vac_169.254.0.0", first(nic, "source").getAttribute("network"));
    assertEquals("virtio", first(nic, "model").getAttribute("type"));
    assertEquals("clean-traffic", first(nic, "filterref").getAttribute("filter"));

    String console = dir.resolve("machines/1700000000_lhcb_f1-07.example.com/console.log").toString();
    assertEquals(console, first(first(domain, "serial"), "source").getAttribute("path"));
    assertEquals(console, first(first(domain, "console"), "source").getAttribute("path"));
    Element vnc = first(domain, "graphics");
    assertEquals("vnc", vnc.getAttribute("type"));
    assertEquals("5907", vnc.getAttribute("port"));
    assertEquals("127.0.0.1", vnc.getAttribute("listen"));
    assertEquals("vga", first(first(domain, "video"), "model").getAttribute("type"));

    assertAcceptedByLibvirt(xml);
  }

  @Test
  void cernvm3BootsTheIsoAsReadOnlyCdromWithASparseRootDisk() throws Exception {
    DomainSpec spec = spec(MachineModel.CERNVM3, "hda", null);
    String xml = DomainXml.of(spec, DomainXml.VirtType.QEMU, Network.VAC, new DomainXml.Disks(
        Path.of("/var/lib/vacuum/disks/f1-07.example.com.raw"), "raw", false, null));
    Element domain = XmlElement.parse(xml).getDocumentElement();

    assertEquals("cdrom", first(domain, "boot").getAttribute("dev"));
    Element root = (Element) domain.getElementsByTagName("disk").item(0);
    assertEquals("/var/lib/vacuum/disks/f1-07.example.com.raw", first(root, "source").getAttribute("file"));
    assertEquals("raw", first(root, "driver").getAttribute("type"));
    assertEquals("hda", first(root, "target").getAttribute("dev"));
    assertEquals("ide", first(root, "target").getAttribute("bus"), "a device without vd in its name is IDE");
    Element cdrom = (Element) domain.getElementsByTagName("disk").item(1);
    assertEquals("cdrom", cdrom.getAttribute("device"));
    assertEquals(spec.rootImage().toString(), first(cdrom, "source").getAttribute("file"));
    assertEquals("hdc", first(cdrom, "target").getAttribute("dev"));
    assertEquals(1, cdrom.getElementsByTagName("readonly").getLength());
    assertTrue(xml.contains("root image &amp; co.img"), "paths are escaped");

    assertAcceptedByLibvirt(xml);
  }

  @Test
  void cernvm3OnLvmHasItsRootDiskOnTheLv() throws Exception {
    String xml = DomainXml.of(spec(MachineModel.CERNVM3, "vda", "vg0"), DomainXml.VirtType.QEMU, Network.VAC,
        new DomainXml.Disks(Path.of("/dev/vg0/f1-07.example.com"), "raw", true, null));
    Element root = (Element) XmlElement.parse(xml).getDocumentElement().getElementsByTagName("disk").item(0);

    assertEquals("block", root.getAttribute("type"));
    assertEquals("/dev/vg0/f1-07.example.com", first(root, "source").getAttribute("dev"));
    assertEquals("virtio", first(root, "target").getAttribute("bus"));
    assertAcceptedByLibvirt(xml);
  }

  @Test
  void kvmPassesTheHostCpuThrough() throws Exception {
    String xml = DomainXml.of(spec(MachineModel.VM_RAW, "vda", null), DomainXml.VirtType.KVM, Network.VAC,
        new DomainXml.Disks(Path.of("/d/x.qcow2"), "qcow2", false, null));
    Element domain = XmlElement.parse(xml).getDocumentElement();

    assertEquals("kvm", domain.getAttribute("type"));
    assertEquals("host-passthrough", first(domain, "cpu").getAttribute("mode"));
    assertAcceptedByLibvirt(xml);
  }

  @Test
  void userNetworkingKeepsTheSlotsMacWithoutTheNatNetwork() throws Exception {
    String xml = DomainXml.of(spec(MachineModel.VM_RAW, "vda", null), DomainXml.VirtType.QEMU, Network.USER,
        new DomainXml.Disks(Path.of("/d/x.qcow2"), "qcow2", false, null));
    Element nic = first(XmlElement.parse(xml).getDocumentElement(), "interface");

    assertEquals("user", nic.getAttribute("type"));
    assertEquals("56:4D:A9:FE:A9:07", first(nic, "mac").getAttribute("address"));
    assertEquals("virtio", first(nic, "model").getAttribute("type"));
    assertFalse(xml.contains("vac_169.254.0.0"));
    assertAcceptedByLibvirt(xml);
  }

  @Test
  void containerModelsAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DomainXml.of(
        spec(MachineModel.DOCKER, "vda", null), DomainXml.VirtType.QEMU, Network.VAC, OVERLAY_AND_SCRATCH));
    assertEquals("machine_model docker is not supported by vacuum's libvirt hypervisor", e.getMessage());
  }

  /** libvirt's schema accepts the document, and libvirt itself defines it (then it is undefined). */
  private void assertAcceptedByLibvirt(String xml) throws Exception {
    TestHosts.assertSchemaValid(xml, "domain", dir);
    EventLoop.start(); // only to silence libvirt's printing of errors
    Connect conn = new Connect(TestHosts.privateHost(dir, ""));
    try {
      Domain defined = conn.domainDefineXML(xml);
      assertEquals("f1-07.example.com", defined.getName());
      defined.undefine();
      assertEquals(0, conn.numOfDefinedDomains());
    } finally {
      conn.close();
    }
  }

  private static Element first(Element parent, String tag) {
    return (Element) parent.getElementsByTagName(tag).item(0);
  }

  private static String text(Element parent, String tag) {
    return first(parent, tag).getTextContent();
  }
}
