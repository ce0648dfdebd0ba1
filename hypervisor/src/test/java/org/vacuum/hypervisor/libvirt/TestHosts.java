package org.vacuum.hypervisor.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.vacuum.config.VacuumSettings;

/** Helpers for tests on libvirt's test driver and schemas. */
final class TestHosts {

  private TestHosts() {}

  /**
   * A test-driver host of its own ({@code test:///<file>}): unlike {@code test:///default}, whose
   * state every connection of the JVM shares, each connection to a file gets a fresh host, with
   * whatever {@code contents} (domains, networks, pools) the file declares.
   */
  static String privateHost(Path dir, String contents) throws IOException {
    Path file = Files.createTempFile(dir, "host-", ".xml");
    Files.writeString(file, "<node>\n" + contents + "</node>\n");
    return "test://" + file.toAbsolutePath();
  }

  static VacuumSettings.Hypervisor settings(String uri, VacuumSettings.Network network) {
    return new VacuumSettings.Hypervisor(uri, network, "", true);
  }

  /**
   * Fails unless libvirt's own schema accepts {@code xml} as a {@code schema} document ({@code
   * domain}, {@code network}, {@code storagepool}, {@code storagevol}).
   */
  static void assertSchemaValid(String xml, String schema, Path dir) throws Exception {
    Path tool = Path.of("/usr/bin/virt-xml-validate");
    if (!Files.isExecutable(tool)) {
      fail("virt-xml-validate is missing: install the Debian package libvirt-clients");
    }
    // virt-xml-validate runs xmllint, which libvirt-clients does not pull in.
    if (!Files.isExecutable(Path.of("/usr/bin/xmllint"))) {
      fail("xmllint (used by virt-xml-validate) is missing: install the Debian package libxml2-utils");
    }
    Path file = Files.createTempFile(dir, schema + "-", ".xml");
    Files.writeString(file, xml);
    Process p = new ProcessBuilder(tool.toString(), file.toString(), schema).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("virt-xml-validate did not finish in 60 s");
    }
    assertEquals(0, p.exitValue(), () -> "libvirt's " + schema + " schema rejects:\n" + xml + "\n" + output);
  }

  /** Waits for {@code condition}, checking every 50 ms, failing with {@code what} at the deadline. */
  static void await(Duration deadline, String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("not within " + deadline.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }
}
