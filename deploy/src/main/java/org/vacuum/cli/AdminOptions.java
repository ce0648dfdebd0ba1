package org.vacuum.cli;

import picocli.CommandLine.Option;

/** Options of every command that talks to a running node. */
final class AdminOptions {

  @Option(names = "--url", paramLabel = "URL",
      defaultValue = "${env:VACUUM_URL:-http://127.0.0.1:7626}",
      description = "Admin HTTP URL of a node (default: ${DEFAULT-VALUE}; env VACUUM_URL).")
  String url;

  @Option(names = {"-J", "--json"}, description = "Print the node's JSON instead of columns.")
  boolean json;

  AdminClient client() {
    return new AdminClient(url);
  }
}
