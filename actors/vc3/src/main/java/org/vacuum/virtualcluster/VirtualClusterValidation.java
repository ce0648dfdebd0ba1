package org.vacuum.virtualcluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The checks a virtual cluster passes before it leaves {@code new} (VC3's request validation),
 * over plain copies of the entities involved. The result is the list of problems, empty when the
 * cluster is valid; {@link VirtualClusterTransitions} joins them into the failure reason.
 *
 * <p>Checks, in VC3's order (all problems are reported, not only the first):
 *
 * <ul>
 *   <li>the cluster names a project, and the project exists (otherwise nothing else is checked);
 *   <li>the cluster names at least one allocation; the project has at least one; every allocation
 *       of the cluster belongs to the project;
 *   <li>the project has members; the cluster's owner is one of them; every member exists and has an
 *       SSH public key that {@code validKey} accepts (the key goes onto the head node).
 * </ul>
 */
public final class VirtualClusterValidation {

  /** The fields of a virtual cluster that validation reads. */
  public record ClusterSpec(String name, String owner, String project, List<String> allocations) {
    public ClusterSpec {
      allocations = allocations == null ? List.of() : List.copyOf(allocations);
    }
  }

  /** The fields of a project that validation reads. */
  public record ProjectSpec(String name, List<String> members, List<String> allocations) {
    public ProjectSpec {
      members = members == null ? List.of() : List.copyOf(members);
      allocations = allocations == null ? List.of() : List.copyOf(allocations);
    }
  }

  /** A user: name and SSH public key ({@code sshpubstring}), null or blank if none. */
  public record UserSpec(String name, String sshPublicKey) {}

  private VirtualClusterValidation() {}

  /**
   * @param project the project named by the cluster, empty if it does not exist
   * @param users the users that exist, by name (at least the project's members)
   * @param validKey whether an SSH public key is well-formed (e.g. what {@code ssh-keygen -l}
   *     accepts)
   * @return the problems found, in check order; empty when valid
   */
  public static List<String> problems(ClusterSpec cluster, Optional<ProjectSpec> project,
      Map<String, UserSpec> users, Predicate<String> validKey) {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(users, "users");
    Objects.requireNonNull(validKey, "validKey");
    List<String> problems = new ArrayList<>();
    if (cluster.project() == null || cluster.project().isBlank()) {
      problems.add("Virtual cluster '" + cluster.name() + "' does not belong to any project.");
      return problems;
    }
    String projectName = cluster.project();
    if (project.isEmpty()) {
      problems.add("Project '" + projectName + "' is not defined.");
      return problems;
    }
    ProjectSpec p = project.get();
    if (cluster.allocations().isEmpty()) {
      problems.add("Virtual cluster '" + cluster.name() + "' names no allocation.");
    }
    if (p.allocations().isEmpty()) {
      problems.add("Project '" + projectName + "' has no allocation.");
    }
    if (!p.allocations().isEmpty()) {
      for (String allocation : cluster.allocations()) {
        if (!p.allocations().contains(allocation)) {
          problems.add("Allocation '" + allocation + "' does not belong to project '" + projectName + "'.");
        }
      }
    }
    if (p.members().isEmpty()) {
      problems.add("Project '" + projectName + "' has no members.");
      return problems;
    }
    if (!p.members().contains(cluster.owner())) {
      problems.add("User '" + cluster.owner() + "', owner of the virtual cluster, is not a member of project '"
          + projectName + "'.");
    }
    for (String member : p.members()) {
      UserSpec user = users.get(member);
      if (user == null) {
        problems.add("User '" + member + "' of project '" + projectName + "' is not defined.");
      } else if (user.sshPublicKey() == null || user.sshPublicKey().isBlank()) {
        problems.add("User '" + member + "' of project '" + projectName + "' has no SSH public key.");
      } else if (!validKey.test(user.sshPublicKey())) {
        problems.add("User '" + member + "' of project '" + projectName + "' has an invalid SSH public key.");
      }
    }
    return problems;
  }
}
