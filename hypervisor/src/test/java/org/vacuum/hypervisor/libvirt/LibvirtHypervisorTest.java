package org.vacuum.hypervisor.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.StoragePool;
import org.vacuum.config.VacuumSettings.Network;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.hypervisor.DomainSpec;
import org.vacuum.hypervisor.DomainState;
import org.vacuum.hypervisor.Hypervisor;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.hypervisor.MachineDomain;

class LibvirtHypervisorTest {

  private static final String FACTORY = "f1.example.com";
  private static final String MACHINE = "f1-03.example.com";

  @TempDir Path dir;
  private LibvirtHypervisor hypervisor;
  private Path qcow2Image;

  @BeforeEach
  void connect() throws Exception {
    hypervisor = LibvirtHypervisor.connect(
        TestHosts.settings(TestHosts.privateHost(dir, ""), Network.VAC), dir.resolve("state"), FACTORY);
    qcow2Image = qcow2(dir.resolve("root.qcow2"), 10L << 30);
  }

  @AfterEach
  void close() {
    hypervisor.close();
  }

  private DomainSpec spec(String name, MachineModel model, Path rootImage, String rootDevice, String scratchDevice,
      String volumeGroup) {
    return new DomainSpec(name, UUID.randomUUID(), 3, model, 2, 4096, rootImage, 20_000_000_000L, rootDevice,
        scratchDevice, volumeGroup, dir.resolve("machines/" + name));
  }

  private DomainSpec vmRaw() {
    return spec(MACHINE, MachineModel.VM_RAW, qcow2Image, "vda", "vdb", null);
  }

  @Test
  void createdMachineRunsWithItsUuidAndUsesCpuUntilDestroyed() throws Exception {
    BlockingQueue<String> stopped = new LinkedBlockingQueue<>();
    hypervisor.addStopListener(stopped::add);
    DomainSpec spec = vmRaw();

    MachineDomain created = hypervisor.create(spec);

    assertEquals(new MachineDomain(MACHINE, spec.uuid(), DomainState.RUNNING, created.cpuTimeNanos()), created);
    assertTrue(created.running());
    MachineDomain looked = hypervisor.lookup(MACHINE).orElseThrow();
    assertEquals(spec.uuid(), looked.uuid());
    assertTrue(looked.running());
    assertTrue(hypervisor.list().stream().anyMatch(d -> d.name().equals(MACHINE) && d.uuid().equals(spec.uuid())));
    assertEquals(Set.of(MACHINE), hypervisor.machinesWithDisks());
    long cpu = looked.cpuTimeNanos();
    TestHosts.await(Duration.ofSeconds(10), "the machine's CPU time grows", () -> cpuTime(MACHINE) > cpu);

    hypervisor.destroy(MACHINE);

    assertEquals(MACHINE, stopped.poll(10, TimeUnit.SECONDS), "stop listener heard the destroy");
    assertTrue(hypervisor.lookup(MACHINE).isEmpty());
    assertTrue(hypervisor.list().stream().noneMatch(d -> d.name().equals(MACHINE)));
    assertEquals(Set.of(MACHINE), hypervisor.machinesWithDisks(), "destroy leaves the disks");
    hypervisor.releaseDisks(MACHINE);
    assertEquals(Set.of(), hypervisor.machinesWithDisks());
    hypervisor.releaseDisks(MACHINE); // idempotent
  }

  @Test
  void theOverlayIsBackedByTheRootImageInItsOwnFormatAndSize() throws Exception {
    Path raw = dir.resolve("root.img");
    Files.write(raw, new byte[4096]);
    hypervisor.create(spec(MACHINE, MachineModel.VM_RAW, raw, "vda", null, null));

    StoragePool pool = hypervisor.connection().storagePoolLookupByName(MachineDisks.poolName(FACTORY));
    String volume = pool.storageVolLookupByName(MACHINE + ".qcow2").getXMLDesc(0);
    assertTrue(volume.contains("<path>" + raw + "</path>"), volume);
    assertTrue(volume.contains("<format type='raw'/>"), volume);
    assertTrue(volume.contains("<capacity unit='bytes'>4096</capacity>"), volume);
    assertTrue(pool.getXMLDesc(0).contains("<path>" + dir.resolve("state/disks") + "</path>"));
    assertTrue(pool.getAutostart());
    assertEquals(ImageFormat.probe(qcow2Image), new ImageFormat("qcow2", 10L << 30));
  }

  @Test
  void shutdownEndsTheMachineAndAnAbsentOneIsNothingToDo() throws Exception {
    BlockingQueue<String> stopped = new LinkedBlockingQueue<>();
    hypervisor.addStopListener(stopped::add);
    hypervisor.create(vmRaw());

    hypervisor.shutdown(MACHINE, Duration.ofSeconds(30));

    assertTrue(hypervisor.lookup(MACHINE).isEmpty());
    assertEquals(MACHINE, stopped.poll(10, TimeUnit.SECONDS));
    hypervisor.shutdown(MACHINE, Duration.ofSeconds(30));
    hypervisor.destroy(MACHINE);
    hypervisor.destroy("f1-99.example.com");
  }

  @Test
  void cernvm3GetsASparseRootDiskOrAnLv() throws Exception {
    Path iso = dir.resolve("cernvm.iso");
    Files.write(iso, new byte[2048]);
    hypervisor.create(spec(MACHINE, MachineModel.CERNVM3, iso, "vda", null, null));
    hypervisor.create(spec("f1-04.example.com", MachineModel.CERNVM3, iso, "vda", null, "vg0"));

    StoragePool pool = hypervisor.connection().storagePoolLookupByName(MachineDisks.poolName(FACTORY));
    String sparse = pool.storageVolLookupByName(MACHINE + ".raw").getXMLDesc(0);
    assertTrue(sparse.contains("<capacity unit='bytes'>20000000000</capacity>"), sparse);
    StoragePool lvm = hypervisor.connection().storagePoolLookupByName(MachineDisks.LVM_POOL_PREFIX + "vg0");
    assertEquals("/dev/vg0/f1-04.example.com", lvm.storageVolLookupByName("f1-04.example.com").getPath());
    assertEquals(Set.of(MACHINE, "f1-04.example.com"), hypervisor.machinesWithDisks());

    hypervisor.destroy("f1-04.example.com");
    hypervisor.releaseDisks("f1-04.example.com");
    assertEquals(Set.of(MACHINE), hypervisor.machinesWithDisks());
  }

  @Test
  void aCreateThatLibvirtRefusesLeavesNoVolumeBehind() throws Exception {
    // Root and scratch disk on the same device: the overlay and the LV are made, then libvirt
    // rejects the domain.
    DomainSpec clash = spec(MACHINE, MachineModel.VM_RAW, qcow2Image, "vda", "vda", "vg0");

    HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.create(clash));

    assertTrue(e.getMessage().startsWith("machine " + MACHINE + ": libvirt would not start its domain: "), e.getMessage());
    assertTrue(e.getMessage().contains("vda"), e.getMessage());
    assertEquals(Set.of(), hypervisor.machinesWithDisks());
    assertTrue(hypervisor.lookup(MACHINE).isEmpty());
  }

  @Test
  void aMissingRootImageFailsBeforeAnyVolumeIsMade() throws Exception {
    Path missing = dir.resolve("no-such.img");

    HypervisorException e = assertThrows(HypervisorException.class,
        () -> hypervisor.create(spec(MACHINE, MachineModel.VM_RAW, missing, "vda", "vdb", "vg0")));

    assertTrue(e.getMessage().contains(MACHINE) && e.getMessage().contains(missing.toString()), e.getMessage());
    assertEquals(Set.of(), hypervisor.machinesWithDisks());
    assertThrows(HypervisorException.class,
        () -> hypervisor.create(spec(MACHINE, MachineModel.CERNVM3, missing, "vda", null, null)));
    assertEquals(Set.of(), hypervisor.machinesWithDisks());
  }

  @Test
  void aSecondCreateOfARunningMachineIsRefusedAndLeavesItAlone() throws Exception {
    DomainSpec first = vmRaw();
    hypervisor.create(first);

    HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.create(vmRaw()));

    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertEquals(first.uuid(), hypervisor.lookup(MACHINE).orElseThrow().uuid());
    assertEquals(Set.of(MACHINE), hypervisor.machinesWithDisks());
  }

  @Test
  void leftoverVolumesOfAnEarlierMachineAreReplaced() throws Exception {
    hypervisor.create(vmRaw());
    hypervisor.destroy(MACHINE);

    DomainSpec next = vmRaw();
    hypervisor.create(next);

    assertEquals(next.uuid(), hypervisor.lookup(MACHINE).orElseThrow().uuid());
  }

  @Test
  void containerModelsAreNotLibvirtMachines() {
    HypervisorException e = assertThrows(HypervisorException.class,
        () -> hypervisor.create(spec(MACHINE, MachineModel.SINGULARITY, qcow2Image, "vda", null, null)));
    assertEquals("machine " + MACHINE + ": machine_model singularity is not supported by vacuum's libvirt hypervisor",
        e.getMessage());
  }

  @Test
  void listShowsEveryActiveDomainAndTheTestDriverTypesThem() throws Exception {
    hypervisor.create(vmRaw());
    hypervisor.create(spec("other-vm", MachineModel.VM_RAW, qcow2Image, "vda", null, null));

    List<MachineDomain> listed = hypervisor.list();

    assertEquals(Set.of(MACHINE, "other-vm"), Set.copyOf(listed.stream().map(MachineDomain::name).toList()));
    assertEquals(DomainXml.VirtType.TEST, hypervisor.virtType());
    assertTrue(hypervisor.hasEvents());
    assertTrue(hypervisor.uri().startsWith("test:///"), hypervisor.uri());
  }

  @Test
  void withoutEventsAStopIsFoundByPolling() throws Exception {
    try (LibvirtHypervisor polling = LibvirtHypervisor.connect(
        TestHosts.settings(TestHosts.privateHost(dir, ""), Network.VAC), dir.resolve("polled"), FACTORY, false)) {
      BlockingQueue<String> stopped = new LinkedBlockingQueue<>();
      polling.addStopListener(stopped::add);
      polling.create(vmRaw());
      // The poller lists every 2 s: only a machine it has listed once can be missed when it goes.
      TestHosts.await(Duration.ofSeconds(10), "the poller has seen the machine running",
          () -> polling.pollerHasSeen(MACHINE));

      polling.destroy(MACHINE);

      assertFalse(polling.hasEvents());
      assertEquals(MACHINE, stopped.poll(10, TimeUnit.SECONDS), "the poller noticed the machine gone");
    }
  }

  @Test
  void connectingThroughThePortGivesTheLibvirtHypervisor() throws Exception {
    try (Hypervisor h = LibvirtHypervisor.connect(TestHosts.settings(TestHosts.privateHost(dir, ""), Network.USER), dir, null)) {
      assertTrue(h instanceof LibvirtHypervisor);
      h.ensureNetwork(true); // user networking: nothing to make
      assertTrue(h.list().isEmpty());
    }
  }

  @Test
  void anUnreachableHypervisorIsNamedInTheError() {
    HypervisorException e = assertThrows(HypervisorException.class, () -> LibvirtHypervisor.connect(
        TestHosts.settings("test:///" + dir.resolve("missing.xml"), Network.VAC), dir, null));
    assertTrue(e.getMessage().startsWith("cannot connect to libvirt at test:///"), e.getMessage());
  }

  @Test
  void kvmOnlyWhereQemuOffersItAndThisProcessCanOpenTheDevice() throws Exception {
    String kvmCaps = "<capabilities><guest><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>";
    String tcgCaps = "<capabilities><guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>";
    Path device = Files.createFile(dir.resolve("kvm"));
    Path absent = dir.resolve("absent");

    assertEquals(DomainXml.VirtType.KVM, LibvirtHypervisor.virtType(URI.create("qemu:///system"), true, kvmCaps, device));
    assertEquals(DomainXml.VirtType.QEMU, LibvirtHypervisor.virtType(URI.create("qemu:///system"), true, kvmCaps, absent));
    assertEquals(DomainXml.VirtType.QEMU, LibvirtHypervisor.virtType(URI.create("qemu:///session"), true, tcgCaps, device));
    assertEquals(DomainXml.VirtType.KVM, LibvirtHypervisor.virtType(URI.create("qemu+ssh://h/system"), false, kvmCaps, absent));
    assertEquals(DomainXml.VirtType.TEST, LibvirtHypervisor.virtType(URI.create("test:///default"), true, kvmCaps, device));
  }

  private long cpuTime(String name) {
    try {
      return hypervisor.lookup(name).orElseThrow().cpuTimeNanos();
    } catch (HypervisorException e) {
      throw new AssertionError(e);
    }
  }

  /** A qcow2 header (magic, version 3, virtual size) is all the prober reads. */
  private static Path qcow2(Path file, long virtualSize) throws Exception {
    ByteBuffer header = ByteBuffer.allocate(512);
    header.putInt(0, 0x514649fb).putInt(4, 3).putLong(24, virtualSize);
    Files.write(file, header.array());
    return file;
  }
}
