package org.vacuum.hypervisor.mjf;

import java.util.UUID;
import org.vacuum.hypervisor.machine.MachineDirectory;

/**
 * A machine as the MJF and metadata server needs it: enough to answer its requests from its
 * directory and to name it in replies.
 *
 * @param name the machine's FQDN (metadata {@code hostname} and {@code name})
 * @param uuid the machine's uuid (metadata {@code uuid}, {@code instance-id}, {@code ami-id})
 * @param machinetype the machinetype name (metadata {@code meta.machinetype})
 * @param directory where its features, user_data, key and joboutputs are
 * @param factory the factory's FQDN (metadata {@code availability_zone})
 */
public record MachineView(String name, UUID uuid, String machinetype, MachineDirectory directory, String factory) {}
