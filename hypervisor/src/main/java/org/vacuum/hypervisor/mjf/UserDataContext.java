package org.vacuum.hypervisor.mjf;

import java.util.Objects;
import java.util.UUID;

/**
 * What {@link UserData#build} fills into a machinetype's user_data template besides the
 * machinetype's own options (reference/vac.md §4.3).
 *
 * @param space the space name ({@code ##user_data_space##})
 * @param site {@code gocdb_sitename} ({@code ##user_data_site##}); null when unset, and the
 *     placeholder is then removed
 * @param machineName the machine's FQDN ({@code ##user_data_machine_hostname##})
 * @param factory the factory's FQDN ({@code ##user_data_manager_hostname##})
 * @param uuid the machine's uuid ({@code ##user_data_uuid##}); null leaves the placeholder to be removed
 * @param guestUrl the MJF server as the machine reaches it, e.g. {@code http://169.254.169.253}; the
 *     VM models' feature URLs are this plus {@code /machinefeatures}, {@code /jobfeatures} and
 *     {@code /joboutputs}
 * @param managerVersion {@code ##user_data_manager_version##}, e.g. {@code vacuum 0.1.0}
 */
public record UserDataContext(
    String space, String site, String machineName, String factory, UUID uuid, String guestUrl, String managerVersion) {

  public UserDataContext {
    Objects.requireNonNull(space, "space");
    Objects.requireNonNull(machineName, "machineName");
    Objects.requireNonNull(factory, "factory");
    Objects.requireNonNull(guestUrl, "guestUrl");
    Objects.requireNonNull(managerVersion, "managerVersion");
  }
}
