package org.vacuum.hypervisor.libvirt;

import static org.vacuum.hypervisor.libvirt.XmlElement.el;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.libvirt.Connect;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.hypervisor.DomainSpec;
import org.vacuum.hypervisor.HypervisorException;
import org.w3c.dom.Element;

/**
 * Machines' volumes, made and removed through libvirt's storage API (reference/vac.md §2.8).
 *
 * <ul>
 *   <li>File volumes live in the directory pool {@code vacuum-<factory>} at {@code <stateDir>/disks},
 *       defined, started and autostarted on first use: {@code <name>.qcow2}, the {@code vm-raw}
 *       overlay backed by the cached root image, and {@code <name>.raw}, the sparse {@code cernvm3}
 *       root disk.
 *   <li>With a volume group, the LV {@code <name>} (the {@code vm-raw} scratch disk or the {@code
 *       cernvm3} root disk) lives in that group's logical pool: an existing pool of the group if
 *       there is one, else {@code vacuum-lvm-<group>}, which is started but never built (building
 *       would format the disks).
 * </ul>
 *
 * <p>{@link #make} either makes all of a machine's volumes or, failing part way, deletes the ones
 * it made. {@link #release} deletes whatever volumes of that machine exist, in the directory pool
 * and in every active logical pool (there only for names shaped like machine names, so an admin's
 * own LVs are never touched).
 */
final class MachineDisks {

  /** The directory pool's name when the factory is not known. */
  static final String DEFAULT_POOL = "vacuum-machines";
  static final String LVM_POOL_PREFIX = "vacuum-lvm-";
  private static final String OVERLAY = ".qcow2";
  private static final String SPARSE = ".raw";

  private static final Logger log = LoggerFactory.getLogger(MachineDisks.class);

  private final Path dir;
  private final boolean local;
  private final Predicate<String> isMachineName;
  private final String poolName;

  /** The directory pool's name: {@code vacuum-<factory>}, so factories sharing a libvirt never share a pool. */
  static String poolName(String factoryName) {
    return factoryName == null ? DEFAULT_POOL : "vacuum-" + factoryName;
  }

  /**
   * @param dir the directory pool's path
   * @param local true when libvirt runs on this host, so the directory can be made here
   * @param isMachineName which LV names may be machines' (and so may be released)
   * @param poolName the directory pool's name ({@link #poolName})
   */
  MachineDisks(Path dir, boolean local, Predicate<String> isMachineName, String poolName) {
    this.poolName = poolName;
    this.dir = dir.toAbsolutePath().normalize();
    this.local = local;
    this.isMachineName = isMachineName;
  }

  /** A machine's volumes: how its domain sees them, and the volumes to delete if the domain fails. */
  record Made(DomainXml.Disks disks, List<StorageVol> volumes) {}

  /** Makes the volumes {@code spec} needs. */
  Made make(Connect conn, DomainSpec spec) throws HypervisorException {
    if (spec.model() == MachineModel.VM_RAW && spec.usesLvm() && spec.scratchDevice() == null) {
      throw new HypervisorException("machine " + spec.name() + ": a volume group is set but no scratch_device");
    }
    List<StorageVol> made = new ArrayList<>();
    try {
      if (spec.model() == MachineModel.VM_RAW) {
        ImageFormat base = probe(spec);
        StorageVol overlay = create(spec, dirPool(conn),
            overlayXml(spec.name() + OVERLAY, base.virtualSize(), spec.rootImage(), base.format()), made);
        Path scratch = null;
        if (spec.usesLvm()) {
          scratch = Path.of(create(spec, lvmPool(conn, spec.volumeGroup()),
              lvXml(spec.name(), spec.diskBytes()), made).getPath());
        }
        return new Made(new DomainXml.Disks(Path.of(overlay.getPath()), "qcow2", false, scratch), made);
      }
      if (!Files.isReadable(spec.rootImage()) || !Files.isRegularFile(spec.rootImage())) {
        throw new HypervisorException("machine " + spec.name() + ": root image " + spec.rootImage()
            + " is not a readable file");
      }
      if (spec.usesLvm()) {
        StorageVol lv = create(spec, lvmPool(conn, spec.volumeGroup()), lvXml(spec.name(), spec.diskBytes()), made);
        return new Made(new DomainXml.Disks(Path.of(lv.getPath()), "raw", true, null), made);
      }
      StorageVol sparse = create(spec, dirPool(conn), sparseXml(spec.name() + SPARSE, spec.diskBytes()), made);
      return new Made(new DomainXml.Disks(Path.of(sparse.getPath()), "raw", false, null), made);
    } catch (LibvirtException e) {
      delete(spec.name(), made);
      throw new HypervisorException("machine " + spec.name() + ": making its disks: " + e.getMessage(), e);
    } catch (HypervisorException | RuntimeException e) {
      delete(spec.name(), made);
      throw e;
    }
  }

  /** Deletes volumes {@link #make} made, when the domain could not be started on them. */
  void delete(String machine, List<StorageVol> volumes) {
    for (StorageVol vol : volumes) {
      try {
        String path = vol.getPath();
        vol.delete(0);
        log.info("machine {}: deleted volume {}", machine, path);
      } catch (LibvirtException e) {
        log.warn("machine {}: could not delete a volume it had just made: {}", machine, e.getMessage());
      }
    }
  }

  /** Deletes every volume of the machine; returns how many there were. */
  int release(Connect conn, String machine) throws HypervisorException {
    int removed = 0;
    try {
      StoragePool pool = lookupPool(conn, poolName);
      if (pool != null && pool.isActive() == 1) {
        removed += deleteIfPresent(pool, machine + OVERLAY, machine);
        removed += deleteIfPresent(pool, machine + SPARSE, machine);
      }
      if (isMachineName.test(machine)) {
        for (StoragePool lvm : activeLogicalPools(conn)) {
          removed += deleteIfPresent(lvm, machine, machine);
        }
      }
      return removed;
    } catch (LibvirtException e) {
      throw new HypervisorException("machine " + machine + ": releasing its disks: " + e.getMessage(), e);
    }
  }

  /** Names of the machines with a volume in the directory pool or a machine-named LV. */
  Set<String> machinesWithDisks(Connect conn) throws HypervisorException {
    Set<String> names = new TreeSet<>();
    try {
      StoragePool pool = lookupPool(conn, poolName);
      if (pool != null && pool.isActive() == 1) {
        for (String vol : pool.listVolumes()) {
          if (vol.endsWith(OVERLAY)) {
            names.add(vol.substring(0, vol.length() - OVERLAY.length()));
          } else if (vol.endsWith(SPARSE)) {
            names.add(vol.substring(0, vol.length() - SPARSE.length()));
          }
        }
      }
      for (StoragePool lvm : activeLogicalPools(conn)) {
        for (String vol : lvm.listVolumes()) {
          if (isMachineName.test(vol)) {
            names.add(vol);
          }
        }
      }
      return names;
    } catch (LibvirtException e) {
      throw new HypervisorException("listing machine volumes: " + e.getMessage(), e);
    }
  }

  static String dirPoolXml(String poolName, Path dir) {
    return el("pool").attr("type", "dir").add(
        el("name").text(poolName),
        el("target").add(el("path").text(dir))).toString();
  }

  static String lvmPoolXml(String volumeGroup) {
    return el("pool").attr("type", "logical").add(
        el("name").text(LVM_POOL_PREFIX + volumeGroup),
        el("source").add(el("name").text(volumeGroup), el("format").attr("type", "lvm2")),
        el("target").add(el("path").text("/dev/" + volumeGroup))).toString();
  }

  /** A qcow2 overlay as large as its base, which it names with its format. */
  static String overlayXml(String name, long capacity, Path backing, String backingFormat) {
    return el("volume").add(
        el("name").text(name),
        el("capacity").attr("unit", "bytes").text(capacity),
        el("target").add(el("format").attr("type", "qcow2")),
        el("backingStore").add(el("path").text(backing), el("format").attr("type", backingFormat))).toString();
  }

  /** A raw file of {@code bytes} with nothing allocated: a sparse file. */
  static String sparseXml(String name, long bytes) {
    return el("volume").add(
        el("name").text(name),
        el("capacity").attr("unit", "bytes").text(bytes),
        el("allocation").attr("unit", "bytes").text(0),
        el("target").add(el("format").attr("type", "raw"))).toString();
  }

  /**
   * An LV of {@code bytes}. Allocation equals capacity because, in a logical pool, a smaller
   * allocation makes libvirt create a thin snapshot volume instead of a plain LV.
   */
  static String lvXml(String name, long bytes) {
    return el("volume").add(
        el("name").text(name),
        el("capacity").attr("unit", "bytes").text(bytes),
        el("allocation").attr("unit", "bytes").text(bytes),
        el("target")).toString();
  }

  private static ImageFormat probe(DomainSpec spec) throws HypervisorException {
    try {
      return ImageFormat.probe(spec.rootImage());
    } catch (IOException e) {
      throw new HypervisorException("machine " + spec.name() + ": root image " + spec.rootImage()
          + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static StorageVol create(DomainSpec spec, StoragePool pool, String xml, List<StorageVol> made)
      throws LibvirtException {
    StorageVol vol = pool.storageVolCreateXML(xml, 0);
    made.add(vol);
    log.info("machine {}: made volume {}", spec.name(), vol.getPath());
    return vol;
  }

  private static int deleteIfPresent(StoragePool pool, String volume, String machine) throws LibvirtException {
    StorageVol vol;
    try {
      vol = pool.storageVolLookupByName(volume);
    } catch (LibvirtException e) {
      if (e.getError().getCode() == ErrorNumber.VIR_ERR_NO_STORAGE_VOL) {
        return 0;
      }
      throw e;
    }
    String path = vol.getPath();
    vol.delete(0);
    log.info("machine {}: deleted volume {}", machine, path);
    return 1;
  }

  /** The directory pool, made and started if need be (synchronized: two first creates must not both define it). */
  private synchronized StoragePool dirPool(Connect conn) throws LibvirtException, HypervisorException {
    StoragePool pool = lookupPool(conn, poolName);
    if (pool != null) {
      Path at = Path.of(targetPath(pool.getXMLDesc(0)));
      if (!at.equals(dir)) {
        // The state directory moved. An empty pool can simply follow it; one holding volumes
        // may back running machines, which only the admin can judge.
        if (pool.isActive() == 1 && pool.numOfVolumes() > 0) {
          throw new HypervisorException("storage pool " + poolName + " is at " + at + ", not at " + dir
              + ", and holds volumes: remove them or the pool (virsh pool-destroy " + poolName
              + "; virsh pool-undefine " + poolName + ") and try again");
        }
        log.warn("storage pool {} is at {}: moving it to {}", poolName, at, dir);
        if (pool.isActive() == 1) {
          pool.destroy();
        }
        if (pool.isPersistent() == 1) {
          pool.undefine();
        }
        pool = null;
      }
    }
    if (pool == null) {
      if (local) {
        try {
          Files.createDirectories(dir);
        } catch (IOException e) {
          throw new HypervisorException("storage pool " + poolName + ": cannot make " + dir + ": " + e.getMessage(), e);
        }
      }
      pool = conn.storagePoolDefineXML(dirPoolXml(poolName, dir), 0);
      if (!local) {
        pool.build(0);
      }
      log.info("defined storage pool {} at {}", poolName, dir);
    }
    if (pool.isActive() != 1) {
      pool.create(0);
    }
    if (!pool.getAutostart()) {
      pool.setAutostart(1);
    }
    return pool;
  }

  /** The logical pool of {@code volumeGroup}: an existing one, else ours, started. */
  private synchronized StoragePool lvmPool(Connect conn, String volumeGroup) throws LibvirtException {
    StoragePool pool = null;
    List<String> names = new ArrayList<>(List.of(conn.listStoragePools()));
    names.addAll(List.of(conn.listDefinedStoragePools()));
    for (String name : names) {
      StoragePool candidate = conn.storagePoolLookupByName(name);
      Element root = XmlElement.parse(candidate.getXMLDesc(0)).getDocumentElement();
      if ("logical".equals(root.getAttribute("type")) && volumeGroup.equals(sourceName(root))) {
        pool = candidate;
        break;
      }
    }
    if (pool == null) {
      pool = conn.storagePoolDefineXML(lvmPoolXml(volumeGroup), 0);
      log.info("defined storage pool {}{} for volume group {}", LVM_POOL_PREFIX, volumeGroup, volumeGroup);
    }
    if (pool.isActive() != 1) {
      pool.create(0);
    }
    if (!pool.getAutostart()) {
      pool.setAutostart(1);
    }
    return pool;
  }

  private static List<StoragePool> activeLogicalPools(Connect conn) throws LibvirtException {
    List<StoragePool> pools = new ArrayList<>();
    for (String name : conn.listStoragePools()) {
      StoragePool pool = conn.storagePoolLookupByName(name);
      if ("logical".equals(XmlElement.parse(pool.getXMLDesc(0)).getDocumentElement().getAttribute("type"))) {
        pools.add(pool);
      }
    }
    return pools;
  }

  private static String sourceName(Element pool) {
    var sources = pool.getElementsByTagName("source");
    if (sources.getLength() == 0) {
      return null;
    }
    var names = ((Element) sources.item(0)).getElementsByTagName("name");
    return names.getLength() == 0 ? null : names.item(0).getTextContent().trim();
  }

  private static String targetPath(String poolXml) {
    var targets = XmlElement.parse(poolXml).getDocumentElement().getElementsByTagName("target");
    var paths = ((Element) targets.item(0)).getElementsByTagName("path");
    return paths.item(0).getTextContent().trim();
  }

  static StoragePool lookupPool(Connect conn, String name) throws LibvirtException {
    try {
      return conn.storagePoolLookupByName(name);
    } catch (LibvirtException e) {
      if (e.getError().getCode() == ErrorNumber.VIR_ERR_NO_STORAGE_POOL) {
        return null;
      }
      throw e;
    }
  }
}
