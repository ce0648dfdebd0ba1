package org.vacuum.hypervisor.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.StoragePool;
import org.vacuum.config.VacuumSettings.Network;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.hypervisor.DomainSpec;

class MachineDisksTest {

  @TempDir Path dir;

  @Test
  void poolAndVolumeDocumentsAreValidForLibvirt() throws Exception {
    TestHosts.assertSchemaValid(MachineDisks.dirPoolXml(MachineDisks.poolName("f1.example.com"), Path.of("/var/lib/vacuum/disks")), "storagepool", dir);
    TestHosts.assertSchemaValid(MachineDisks.lvmPoolXml("vg0"), "storagepool", dir);
    TestHosts.assertSchemaValid(MachineDisks.overlayXml("f1-00.example.com.qcow2", 10L << 30,
        Path.of("/var/lib/vacuum/imagecache/https%3A%2F%2Fx%2Froot.img"), "raw"), "storagevol", dir);
    TestHosts.assertSchemaValid(MachineDisks.sparseXml("f1-00.example.com.raw", 40_000_000_000L), "storagevol", dir);
    TestHosts.assertSchemaValid(MachineDisks.lvXml("f1-00.example.com", 40_000_000_000L), "storagevol", dir);
  }

  @Test
  void releasingNeverTouchesLvsThatAreNotThisFactorysMachines() throws Exception {
    Path iso = Files.write(dir.resolve("cernvm.iso"), new byte[2048]);
    try (LibvirtHypervisor hypervisor = LibvirtHypervisor.connect(
        TestHosts.settings(TestHosts.privateHost(dir, ""), Network.USER), dir, "f1.example.com")) {
      hypervisor.create(new DomainSpec("f1-00.example.com", UUID.randomUUID(), 0, MachineModel.CERNVM3, 1, 2048, iso,
          1_000_000_000L, "vda", null, "vg0", dir));
      StoragePool vg0 = hypervisor.connection().storagePoolLookupByName(MachineDisks.LVM_POOL_PREFIX + "vg0");
      vg0.storageVolCreateXML(MachineDisks.lvXml("home", 1_000_000L), 0);
      vg0.storageVolCreateXML(MachineDisks.lvXml("f2-00.example.com", 1_000_000L), 0);

      hypervisor.releaseDisks("home");
      hypervisor.releaseDisks("f2-00.example.com");
      hypervisor.destroy("f1-00.example.com");
      hypervisor.releaseDisks("f1-00.example.com");

      List<String> left = Arrays.asList(vg0.listVolumes());
      assertEquals(Set.of("home", "f2-00.example.com"), Set.copyOf(left));
      assertEquals(Set.of(), hypervisor.machinesWithDisks());
    }
  }
}
