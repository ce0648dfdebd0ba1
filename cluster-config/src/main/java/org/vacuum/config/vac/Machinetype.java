package org.vacuum.config.vac;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One {@code [machinetype NAME]} section of vac.conf after defaults, aliases and the {@code
 * [settings]} user_data defaults are applied (reference/vac.md §1.3). Values are as Vac uses them:
 * seconds are whole seconds, unset optional values are {@code null}.
 *
 * @param userDataOptions {@code user_data_option_XXX} values by XXX (settings' defaults overridden by the type's)
 * @param userDataFiles {@code user_data_file_XXX} paths by XXX, as written (resolve with {@link #resolve})
 * @param machinetypePath Vac's {@code machinetype_path}: {@code <state-dir>/machinetypes/NAME}, or the pipe prefix's
 * @param pipePrefix the {@code [vacuum_pipe]} prefix this type came from, or null for a written section
 */
public record Machinetype(
    String name,
    double targetShare,
    MachineModel machineModel,
    String rootImage,
    String userData,
    Map<String, String> userDataOptions,
    Map<String, String> userDataFiles,
    boolean userDataProxy,
    boolean legacyProxy,
    int minProcessors,
    int maxProcessors,
    int maxWallclockSeconds,
    int minWallclockSeconds,
    int backoffSeconds,
    int fizzleSeconds,
    String heartbeatFile,
    int heartbeatSeconds,
    String accountingFqan,
    String machinegroup,
    double machinesDirDays,
    Integer diskGbPerProcessor,
    String rootDevice,
    String scratchDevice,
    String imageSigningDn,
    String containerCommand,
    Set<String> cvmfsRepositories,
    List<String> tmpBinds,
    Path machinetypePath,
    String pipePrefix) {

  /** The machine models Vac knows (its {@code machine_model}). */
  public enum MachineModel {
    CERNVM3("cernvm3"),
    CERNVM4("cernvm4"),
    VM_RAW("vm-raw"),
    DOCKER("docker"),
    SINGULARITY("singularity");

    private final String vacName;

    MachineModel(String vacName) {
      this.vacName = vacName;
    }

    /** The name as written in vac.conf and sent in VacQuery's {@code machine_model}. */
    public String vacName() {
      return vacName;
    }

    /** True for the models that are libvirt virtual machines. */
    public boolean isVirtualMachine() {
      return this == CERNVM3 || this == CERNVM4 || this == VM_RAW;
    }
  }

  /** Where a {@code root_image}, {@code user_data} or {@code user_data_file_*} value points. */
  public sealed interface Source permits LocalFile, Url {}

  public record LocalFile(Path path) implements Source {}

  public record Url(String url) implements Source {}

  /**
   * Vac's path rule (reference/vac.md §1.3): a value starting with {@code /} is a path, one starting
   * with {@code http://} or {@code https://} a URL, anything else is relative to {@code
   * machinetype_path/files/}.
   */
  public Source resolve(String value) {
    if (value.startsWith("http://") || value.startsWith("https://")) {
      return new Url(value);
    }
    if (value.startsWith("/")) {
      return new LocalFile(Path.of(value));
    }
    return new LocalFile(machinetypePath.resolve("files").resolve(value));
  }
}
