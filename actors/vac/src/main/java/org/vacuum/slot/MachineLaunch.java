package org.vacuum.slot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.config.vac.VacSettings;
import org.vacuum.host.FactoryHost;
import org.vacuum.hypervisor.DomainSpec;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.hypervisor.MachineDomain;
import org.vacuum.hypervisor.machine.MachineDirectory;
import org.vacuum.hypervisor.machine.MachineFeatures;
import org.vacuum.hypervisor.mjf.MachineView;
import org.vacuum.hypervisor.mjf.UserData;
import org.vacuum.hypervisor.mjf.UserDataContext;
import org.vacuum.protocol.VacuumVersion;

/**
 * Builds one machine, as Vac's {@code VacSlot.create} (reference/vac.md §2.8): the machine's
 * directory with its Machine/Job Features, user_data and root public key, the root image (fetched
 * into the image cache if it is a URL), then the transient domain. Blocking: runs off the actor
 * thread.
 *
 * <p>Contract: on success the domain runs and the MJF server answers for the machine (announced
 * through {@code announce} before the domain starts, so the machine's first request finds it). On
 * failure it throws with a one-line reason; the caller destroys what may be left (the domain and its
 * disks are cleaned up by the hypervisor's half-failed-create rule and the slot's release).
 */
final class MachineLaunch {

  /** Vac's file-backed disk size per processor when disk_gb_per_processor is not set. */
  private static final int DEFAULT_DISK_GB_PER_PROCESSOR = 40;

  private final FactoryHost host;
  private final String machine;
  private final int ordinal;

  MachineLaunch(FactoryHost host, String machine, int ordinal) {
    this.host = host;
    this.machine = machine;
    this.ordinal = ordinal;
  }

  MachineDomain build(Slot.Machine m, Machinetype type, VacConf conf, Consumer<MachineView> announce) {
    return build(m, type, conf, Map.of(), announce);
  }

  /** As above, with this machine's own user_data options ({@link UserData#build(Machinetype, UserDataContext, Map)}). */
  MachineDomain build(Slot.Machine m, Machinetype type, VacConf conf, Map<String, String> userDataOptions,
      Consumer<MachineView> announce) {
    try {
      VacSettings settings = conf.settings();
      UUID uuid = UUID.fromString(m.uuid());
      long created = m.createdAt().getEpochSecond();
      MachineDirectory dir = MachineDirectory.create(host.machinesDir(), created, type.name(), machine);
      dir.writeFeatures(new MachineFeatures(uuid, m.processors(), created, m.shutdownTime(),
          settings.hs06PerProcessor(), settings.mbPerProcessor(), settings.machinefeaturesOptions()));
      if (type.userData() != null) {
        dir.writeUserData(UserData.build(type, new UserDataContext(host.settings().space(), site(conf), machine,
            host.settings().factoryName(), uuid, host.settings().mjf().guestUrl(), "vacuum " + VacuumVersion.VERSION),
            userDataOptions));
      }
      Path key = settings.rootPublicKey();
      if (key != null && Files.isReadable(key)) {
        dir.writeRootPublicKey(Files.readString(key));
      }
      announce.accept(new MachineView(machine, uuid, type.name(), dir, host.settings().factoryName()));
      Path image = rootImage(type);
      int diskGb = type.diskGbPerProcessor() != null ? type.diskGbPerProcessor()
          : settings.diskGbPerProcessor() != null ? settings.diskGbPerProcessor() : DEFAULT_DISK_GB_PER_PROCESSOR;
      return host.hypervisor().create(new DomainSpec(machine, uuid, ordinal, type.machineModel(), m.processors(),
          (long) settings.mbPerProcessor() * m.processors(), image, diskGb * 1_000_000_000L * m.processors(),
          type.rootDevice(), type.scratchDevice(), settings.volumeGroup(), dir.path()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (HypervisorException e) {
      throw new CompletionException(e);
    }
  }

  private Path rootImage(Machinetype type) throws IOException, HypervisorException {
    if (type.rootImage() == null) {
      throw new IOException("machinetype " + type.name() + " has no root_image");
    }
    Machinetype.Source source = type.resolve(type.rootImage());
    if (source instanceof Machinetype.Url u) {
      return host.imageCache().fetch(u.url());
    }
    Path path = ((Machinetype.LocalFile) source).path();
    if (!Files.isReadable(path)) {
      throw new IOException("machinetype " + type.name() + ": root_image " + path + " is not a readable file");
    }
    return path;
  }

  private String site(VacConf conf) {
    String gocdb = conf.settings().gocdbSitename();
    return gocdb != null ? gocdb : host.settings().site();
  }

  /** One line for a failure of {@link #build} or of a hypervisor call. */
  static String reason(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof UncheckedIOException) && e.getCause() != null) {
      e = e.getCause();
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.toString() : message.lines().findFirst().orElse(message);
  }
}
