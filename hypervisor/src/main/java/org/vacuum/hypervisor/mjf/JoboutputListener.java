package org.vacuum.hypervisor.mjf;

/**
 * Told about every file a machine delivers with {@code PUT /joboutputs/<name>}, e.g. to notice a
 * {@code shutdown_message} or a heartbeat file at once rather than by polling. Called on an MJF
 * server thread after the file is in place and before the 201 answer; it must not block. An
 * exception it throws is logged and does not change the answer.
 */
@FunctionalInterface
public interface JoboutputListener {

  void written(MachineView machine, String fileName);
}
