package org.vacuum.hypervisor;

import java.nio.file.Path;
import java.util.Objects;
import java.util.UUID;
import org.vacuum.config.vac.Machinetype.MachineModel;

/**
 * Everything {@link Hypervisor#create} needs to start one machine (reference/vac.md §2.8).
 *
 * @param name the slot FQDN, also the domain name and the name of the machine's volumes
 * @param uuid the slot's job id, given to the domain
 * @param ordinal the slot ordinal: fixes the MAC, the VNC port and the NAT network address
 * @param model {@code vm-raw} or {@code cernvm3}; the other models are not libvirt machines
 * @param processors vCPUs
 * @param memoryMiB memory in MiB (Vac: {@code mb_per_processor × processors})
 * @param rootImage the root image as a local file, already fetched into the image cache: the base
 *     of the qcow2 overlay ({@code vm-raw}) or the ISO ({@code cernvm3})
 * @param diskBytes size of the {@code cernvm3} root disk (sparse file or LV), or of the {@code
 *     vm-raw} scratch LV when {@code volumeGroup} is set
 * @param rootDevice guest device of the root disk, e.g. {@code vda}: virtio if it contains
 *     {@code vd}, else IDE
 * @param scratchDevice guest device of the {@code vm-raw} scratch LV, e.g. {@code vdb}
 * @param volumeGroup LVM volume group for LVs, or null for no LVM
 * @param machineDir the machine's directory, which must exist: the serial console is logged to
 *     {@code console.log} there
 */
public record DomainSpec(
    String name,
    UUID uuid,
    int ordinal,
    MachineModel model,
    int processors,
    long memoryMiB,
    Path rootImage,
    long diskBytes,
    String rootDevice,
    String scratchDevice,
    String volumeGroup,
    Path machineDir) {

  public DomainSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(rootImage, "rootImage");
    Objects.requireNonNull(rootDevice, "rootDevice");
    Objects.requireNonNull(machineDir, "machineDir");
    if (volumeGroup != null && volumeGroup.isBlank()) {
      volumeGroup = null;
    }
  }

  /** True if the machine's LVs go in a volume group. */
  public boolean usesLvm() {
    return volumeGroup != null;
  }
}
