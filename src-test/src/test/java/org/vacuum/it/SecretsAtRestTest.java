package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.infoservice.InfoEntities;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.infoservice.InfoSecrets;
import org.vacuum.node.VacuumNode;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;

/**
 * An allocation's private key never reaches storage or the audit trail in clear: after vacuum
 * issued it, neither its base64 ({@code privtoken}) nor the key's own text is in any file of the
 * node's state directory (the H2 journal among them), while the encrypted form is (so the scan
 * does read the journal); {@code /api/v1/audit} shows the attribute masked.
 */
class SecretsAtRestTest {

  @TempDir Path dir;

  @Test
  void anIssuedPrivateKeyIsEncryptedInTheJournalAndMaskedInTheAudit() throws Exception {
    Path state = dir.resolve("state");
    try (VacuumNode node = TestNodes.start(TestNodes.settings("sec1", state, TestNodes.freePort(), List.of()))) {
      String url = "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
      TestNodes.sendJson(url + "resources", "POST", Map.of("name", "login1", "accesstype", "batch", "accessmethod", "ssh",
          "accessflavor", "fork", "accesshost", "127.0.0.1", "accessport", 22), 201);
      TestNodes.sendJson(url + "allocations", "POST", Map.of("name", "ada.login1", "resource", "login1",
          "accountname", "ada"), 201);
      TestNodes.awaitState(url + "allocations/ada.login1", "configured", Duration.ofSeconds(30));

      InfoObject allocation = InfoEntities.get(node.system()).get(InfoKind.ALLOCATION, "ada.login1")
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      String sealed = InfoKind.ALLOCATION.text(allocation, "privtoken");
      assertTrue(sealed.startsWith("enc:v1:"), "persisted encrypted: " + sealed);
      String privtoken = InfoSecrets.get(node.system()).reveal(sealed);
      assertNotEquals(sealed, privtoken);
      String keyText = new String(Base64.getMimeDecoder().decode(privtoken), StandardCharsets.UTF_8);
      List<String> clear = new ArrayList<>();
      clear.add(privtoken.substring(0, 60));
      keyText.lines().filter(line -> line.length() >= 60).limit(3).forEach(clear::add);
      assertTrue(clear.size() > 1, "the key has body lines to look for");

      String audit = TestNodes.get(node, "/api/v1/audit?entity=Allocation").body();
      assertTrue(audit.contains("privtoken") && audit.contains(InfoKind.MASK), audit);
      for (String text : clear) {
        assertFalse(audit.contains(text), "the audit shows the private key");
      }
      assertFalse(audit.contains("enc:v1:"), "the audit shows the encrypted key");

      String files = everyFile(state);
      assertTrue(files.contains(sealed.substring(0, 40)), "the scan reads the journal, which holds the encrypted key");
      for (String text : clear) {
        assertFalse(files.contains(text), "a file of the state directory holds the private key in clear");
      }
    }
  }

  /** Every regular file under {@code root}, as ISO-8859-1 text so every byte maps to one char. */
  private static String everyFile(Path root) throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.filter(Files::isRegularFile).toList()) {
        all.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)).append('\n');
      }
    }
    return all.toString();
  }
}
