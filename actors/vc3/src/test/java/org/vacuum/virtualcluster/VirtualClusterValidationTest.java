package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.vacuum.virtualcluster.VirtualClusterValidation.ClusterSpec;
import org.vacuum.virtualcluster.VirtualClusterValidation.ProjectSpec;
import org.vacuum.virtualcluster.VirtualClusterValidation.UserSpec;

class VirtualClusterValidationTest {

  private static final Predicate<String> KEY_CHECK = key -> key.startsWith("ssh-");

  private static final ClusterSpec CLUSTER =
      new ClusterSpec("vc1", "alice", "atlas", List.of("alice.uchicago"));
  private static final ProjectSpec PROJECT =
      new ProjectSpec("atlas", List.of("alice", "bob"), List.of("alice.uchicago", "bob.nersc"));
  private static final Map<String, UserSpec> USERS = Map.of(
      "alice", new UserSpec("alice", "ssh-ed25519 AAAA alice"),
      "bob", new UserSpec("bob", "ssh-rsa AAAA bob"));

  private static List<String> problems(ClusterSpec cluster, Optional<ProjectSpec> project, Map<String, UserSpec> users) {
    return VirtualClusterValidation.problems(cluster, project, users, KEY_CHECK);
  }

  @Test
  void validClusterHasNoProblems() {
    assertEquals(List.of(), problems(CLUSTER, Optional.of(PROJECT), USERS));
  }

  @Test
  void clusterWithoutProjectStopsThere() {
    ClusterSpec noProject = new ClusterSpec("vc1", "alice", null, List.of());
    assertEquals(List.of("Virtual cluster 'vc1' does not belong to any project."),
        problems(noProject, Optional.empty(), USERS));
  }

  @Test
  void unknownProjectStopsThere() {
    assertEquals(List.of("Project 'atlas' is not defined."), problems(CLUSTER, Optional.empty(), USERS));
  }

  @Test
  void allocationsMustExistOnBothSidesAndMatch() {
    ClusterSpec none = new ClusterSpec("vc1", "alice", "atlas", List.of());
    assertEquals(List.of("Virtual cluster 'vc1' names no allocation."),
        problems(none, Optional.of(PROJECT), USERS));

    ProjectSpec noAllocations = new ProjectSpec("atlas", List.of("alice", "bob"), List.of());
    assertEquals(List.of("Project 'atlas' has no allocation."),
        problems(CLUSTER, Optional.of(noAllocations), USERS));

    ClusterSpec foreign = new ClusterSpec("vc1", "alice", "atlas", List.of("alice.uchicago", "carol.tacc"));
    assertEquals(List.of("Allocation 'carol.tacc' does not belong to project 'atlas'."),
        problems(foreign, Optional.of(PROJECT), USERS));
  }

  @Test
  void projectNeedsMembersAndTheOwnerAmongThem() {
    ProjectSpec empty = new ProjectSpec("atlas", List.of(), List.of("alice.uchicago"));
    assertEquals(List.of("Project 'atlas' has no members."), problems(CLUSTER, Optional.of(empty), USERS));

    ClusterSpec byCarol = new ClusterSpec("vc1", "carol", "atlas", List.of("alice.uchicago"));
    assertEquals(List.of("User 'carol', owner of the virtual cluster, is not a member of project 'atlas'."),
        problems(byCarol, Optional.of(PROJECT), USERS));
  }

  @Test
  void everyMemberNeedsAValidSshKey() {
    assertEquals(List.of("User 'bob' of project 'atlas' is not defined."),
        problems(CLUSTER, Optional.of(PROJECT), Map.of("alice", USERS.get("alice"))));
    assertEquals(List.of("User 'bob' of project 'atlas' has no SSH public key."),
        problems(CLUSTER, Optional.of(PROJECT), Map.of("alice", USERS.get("alice"), "bob", new UserSpec("bob", " "))));
    assertEquals(List.of("User 'bob' of project 'atlas' has an invalid SSH public key."),
        problems(CLUSTER, Optional.of(PROJECT), Map.of("alice", USERS.get("alice"), "bob", new UserSpec("bob", "garbage"))));
  }

  @Test
  void allProblemsAreReportedTogetherInCheckOrder() {
    ClusterSpec bad = new ClusterSpec("vc1", "carol", "atlas", List.of("carol.tacc"));
    List<String> found = problems(bad, Optional.of(PROJECT), Map.of("alice", new UserSpec("alice", null)));
    assertEquals(List.of(
        "Allocation 'carol.tacc' does not belong to project 'atlas'.",
        "User 'carol', owner of the virtual cluster, is not a member of project 'atlas'.",
        "User 'alice' of project 'atlas' has no SSH public key.",
        "User 'bob' of project 'atlas' is not defined."), found);
  }
}
