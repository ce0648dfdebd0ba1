package org.vacuum.hypervisor.libvirt;

import static org.vacuum.hypervisor.libvirt.XmlElement.el;

import java.nio.file.Path;
import java.util.Objects;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.hypervisor.DomainSpec;
import org.vacuum.protocol.slot.SlotNames;

/**
 * The libvirt domain document of one machine (reference/vac.md §2.8): a one-shot x86_64 PC that is
 * destroyed on poweroff, reboot or crash, with unsafe-cached disks that report errors to the guest,
 * a NIC with the slot's fixed MAC, the serial console logged to the machine directory and VNC on
 * loopback port 5900+ordinal. Pure: the volumes it names must already exist.
 *
 * <ul>
 *   <li>{@code vm-raw}: boots from the root disk (the qcow2 overlay); an LV scratch disk when LVM
 *       is used.
 *   <li>{@code cernvm3}: boots from the ISO, attached read-only as IDE CD-ROM {@code hdc}; the root
 *       disk is a sparse raw file or an LV.
 * </ul>
 */
public final class DomainXml {

  /** The {@code <domain type>}: hardware virtualisation, emulation, or libvirt's test driver. */
  public enum VirtType {
    KVM("kvm"),
    QEMU("qemu"),
    TEST("test");

    private final String xmlName;

    VirtType(String xmlName) {
      this.xmlName = xmlName;
    }

    public String xmlName() {
      return xmlName;
    }
  }

  /**
   * The machine's volumes as the guest's disks see them.
   *
   * @param root the root disk: the overlay ({@code vm-raw}) or the sparse file or LV ({@code cernvm3})
   * @param rootFormat {@code qcow2} or {@code raw}
   * @param rootIsBlock true when the root disk is an LV
   * @param scratch the {@code vm-raw} scratch LV, or null
   */
  public record Disks(Path root, String rootFormat, boolean rootIsBlock, Path scratch) {
    public Disks {
      Objects.requireNonNull(root, "root");
      Objects.requireNonNull(rootFormat, "rootFormat");
    }
  }

  /** The first VNC port; slot N listens on this + N, as Vac's. */
  public static final int VNC_BASE_PORT = 5900;

  private DomainXml() {}

  /** The domain document for {@code spec} on these disks. */
  public static String of(DomainSpec spec, VirtType type, VacuumSettings.Network network, Disks disks) {
    boolean cernvm = spec.model() == MachineModel.CERNVM3;
    if (!cernvm && spec.model() != MachineModel.VM_RAW) {
      throw new IllegalArgumentException(LibvirtHypervisor.unsupported(spec.model()));
    }
    XmlElement devices = el("devices");
    devices.add(disk(disks.rootIsBlock(), disks.root(), disks.rootFormat(), spec.rootDevice()));
    if (disks.scratch() != null) {
      devices.add(disk(true, disks.scratch(), "raw", spec.scratchDevice()));
    }
    if (cernvm) {
      devices.add(el("disk").attr("type", "file").attr("device", "cdrom").add(
          el("driver").attr("name", "qemu").attr("type", "raw"),
          el("source").attr("file", spec.rootImage()),
          el("target").attr("dev", "hdc").attr("bus", "ide"),
          el("readonly")));
    }
    devices.add(nic(spec.ordinal(), network));
    String console = spec.machineDir().resolve("console.log").toString();
    devices.add(
        el("serial").attr("type", "file").add(
            el("source").attr("path", console),
            el("target").attr("port", 0)),
        el("console").attr("type", "file").add(
            el("source").attr("path", console),
            el("target").attr("type", "serial").attr("port", 0)),
        el("graphics").attr("type", "vnc").attr("port", VNC_BASE_PORT + spec.ordinal())
            .attr("autoport", "no").attr("listen", "127.0.0.1").add(
                el("listen").attr("type", "address").attr("address", "127.0.0.1")),
        el("video").add(el("model").attr("type", "vga")));

    XmlElement domain = el("domain").attr("type", type.xmlName()).add(
        el("name").text(spec.name()),
        el("uuid").text(spec.uuid()),
        el("memory").attr("unit", "MiB").text(spec.memoryMiB()),
        el("vcpu").text(spec.processors()),
        el("os").add(
            el("type").attr("arch", "x86_64").attr("machine", "pc").text("hvm"),
            el("boot").attr("dev", cernvm ? "cdrom" : "hd")),
        el("features").add(el("acpi"), el("apic"), el("pae")));
    // Passing the host CPU through only means something with hardware virtualisation; TCG
    // cannot emulate an arbitrary host CPU.
    domain.addIf(type == VirtType.KVM, el("cpu").attr("mode", "host-passthrough"));
    domain.add(
        el("clock").attr("offset", "utc"),
        // A machine is one-shot: whatever ends the guest ends the domain, and the slot notices.
        el("on_poweroff").text("destroy"),
        el("on_reboot").text("destroy"),
        el("on_crash").text("destroy"),
        devices);
    return domain.toString();
  }

  private static XmlElement disk(boolean block, Path source, String format, String device) {
    return el("disk").attr("type", block ? "block" : "file").attr("device", "disk").add(
        // Machines are disposable, so host-side caching may lose writes on a host crash; I/O
        // errors go to the guest rather than pausing it, as a paused machine is destroyed anyway.
        el("driver").attr("name", "qemu").attr("type", format).attr("cache", "unsafe")
            .attr("error_policy", "report"),
        el("source").attr(block ? "dev" : "file", source),
        el("target").attr("dev", device).attr("bus", bus(device)));
  }

  /** Vac's rule: a device named like {@code vda} is virtio, anything else ({@code hda}, {@code sda}) IDE. */
  static String bus(String device) {
    return device.contains("vd") ? "virtio" : "ide";
  }

  private static XmlElement nic(int ordinal, VacuumSettings.Network network) {
    XmlElement mac = el("mac").attr("address", SlotNames.mac(ordinal));
    XmlElement model = el("model").attr("type", "virtio");
    if (network == VacuumSettings.Network.USER) {
      return el("interface").attr("type", "user").add(mac, model);
    }
    return el("interface").attr("type", "network").add(
        mac,
        el("source").attr("network", VacNetwork.NAME),
        model,
        // libvirt's stock filter: no MAC, IP or ARP spoofing from the machine.
        el("filterref").attr("filter", "clean-traffic"));
  }
}
