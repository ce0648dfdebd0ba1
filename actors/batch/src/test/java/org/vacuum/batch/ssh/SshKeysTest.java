package org.vacuum.batch.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshKeysTest {

  private static final String NAME = "alice.uchicago-midway";
  private static final Path SSH_KEYGEN = Path.of("/usr/bin/ssh-keygen");

  private static SshKeys keys;

  @BeforeAll
  static void generateOnce() {
    keys = SshKeys.generate(NAME);
  }

  @Test
  void publicKeyIsOneSshRsaLineOf3072BitsCommentedWithTheAllocationName() {
    String[] fields = keys.publicKeyLine().split(" ");
    assertEquals(3, fields.length, keys.publicKeyLine());
    assertEquals(SshKeys.SECTYPE, fields[0]);
    assertTrue(fields[1].startsWith("AAAAB3NzaC1yc2E"), fields[1]);
    assertEquals(NAME, fields[2]);
    assertEquals(NAME, keys.comment());
    assertFalse(keys.publicKeyLine().contains("\n"));
    RSAPublicKey rsa = (RSAPublicKey) keys.publicKey();
    assertEquals(3072, rsa.getModulus().bitLength());
  }

  @Test
  void privateKeyIsUnencryptedOpenSshTextThatParsesBackToThePair() {
    assertTrue(keys.privateKey().startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"), keys.privateKey());
    assertTrue(keys.privateKey().strip().endsWith("-----END OPENSSH PRIVATE KEY-----"));
    KeyPair pair = SshKeys.parsePrivateKey(keys.privateKey());
    assertEquals(keys.publicKey(), pair.getPublic());
  }

  @Test
  void eachGenerationMakesANewKey() {
    assertNotEquals(keys.publicKey(), SshKeys.generate(NAME).publicKey());
  }

  @Test
  void tokensAreBase64OfTheTextsAndRoundTrip() {
    assertEquals(keys.publicKeyLine(), new String(Base64.getDecoder().decode(keys.pubtoken()), StandardCharsets.UTF_8));
    assertEquals(keys.privateKey(), new String(Base64.getDecoder().decode(keys.privtoken()), StandardCharsets.UTF_8));
    assertEquals(keys, SshKeys.fromTokens(keys.pubtoken(), keys.privtoken()));
  }

  @Test
  void tokensWrappedAsTheBase64ToolWrapsThemStillDecode() {
    String wrapped = Base64.getMimeEncoder(76, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(keys.privateKey().getBytes(StandardCharsets.UTF_8)) + "\n";
    assertEquals(keys.privateKey(), SshKeys.decodeToken("privtoken", wrapped));
  }

  @Test
  void badTokensNameTheirField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SshKeys.fromTokens(keys.pubtoken(), "not*base64"));
    assertTrue(e.getMessage().startsWith("privtoken is not base64"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SshKeys.fromTokens("", keys.privtoken()));
    assertEquals("pubtoken is empty", e.getMessage());
  }

  @Test
  void namesThatWouldBreakTheAuthorizedKeysLineAreRefused() {
    for (String bad : List.of("", " ", "alice res", "alice\nssh-rsa AAAA evil")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SshKeys.generate(bad));
      assertTrue(e.getMessage().contains("cannot be an SSH key comment"), e.getMessage());
    }
  }

  @Test
  void textThatIsNoKeyIsRefusedWithAReason() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SshKeys.parsePrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"));
    assertTrue(e.getMessage().contains("private key"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SshKeys.parsePrivateKey("hello"));
    assertTrue(e.getMessage().contains("private key"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SshKeys.parsePublicKeyLine("ssh-rsa !!! x"));
    assertTrue(e.getMessage().startsWith("not an SSH public key line"), e.getMessage());
  }

  @Test
  void toStringHidesThePrivateKey() {
    assertFalse(keys.toString().contains("PRIVATE"), keys.toString());
    assertFalse(keys.toString().contains(keys.privateKey().split("\n")[1]), keys.toString());
  }

  @Test
  void sshKeygenReadsBothKeysAndAgreesOnTheFingerprint(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(SSH_KEYGEN), SSH_KEYGEN + " is not installed (Debian openssh-client)");
    Path pub = dir.resolve("id_rsa.pub");
    Files.writeString(pub, keys.publicKeyLine() + "\n");
    String listed = run(SSH_KEYGEN.toString(), "-l", "-f", pub.toString());
    assertEquals("3072 " + keys.fingerprint() + " " + NAME + " (RSA)", listed.strip());

    // ssh -i refuses private keys that others can read, as ssh-keygen -y does.
    Path priv = dir.resolve("id_rsa");
    Files.writeString(priv, keys.privateKey());
    Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
    String derived = run(SSH_KEYGEN.toString(), "-y", "-f", priv.toString());
    assertEquals(SshKeys.parsePublicKeyLine(derived.strip()), keys.publicKey());
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
    assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
    return out;
  }
}
