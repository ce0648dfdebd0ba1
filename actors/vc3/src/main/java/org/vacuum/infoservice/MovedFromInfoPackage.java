package org.vacuum.infoservice;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads snapshots written before the infoservice classes left the package {@code org.vacuum.info}:
 * their manifests still name the old package. Registered in {@code reference.conf} under each old
 * class name; the JSON itself did not change.
 */
public final class MovedFromInfoPackage extends JacksonMigration {

  private static final String OLD = "org.vacuum.info.";
  private static final String NEW = "org.vacuum.infoservice.";

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    return className.startsWith(OLD) ? NEW + className.substring(OLD.length()) : className;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    return json;
  }
}
