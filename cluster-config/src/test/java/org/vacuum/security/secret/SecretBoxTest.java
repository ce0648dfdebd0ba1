package org.vacuum.security.secret;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {

    private static final String KEY_TEXT = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n";

    @TempDir
    Path tmp;

    @Test
    void roundTripWithTheKeyIdInTheTextAndAFreshNonceEachTime() throws Exception {
        SecretBox box = SecretBox.openOrCreate(tmp.resolve("pki/data-keys"));
        String a = box.encrypt(KEY_TEXT);
        String b = box.encrypt(Secret.of(KEY_TEXT));

        assertTrue(SecretBox.isEncrypted(a));
        assertFalse(SecretBox.isEncrypted(KEY_TEXT));
        assertTrue(a.startsWith("enc:v1:" + box.currentKeyId() + ":"), a);
        assertNotEquals(a, b, "a fresh nonce per value");
        assertFalse(a.contains("b3BlbnNzaC1rZXktdjEAAAAA"));
        assertEquals(KEY_TEXT, box.decrypt(a));
        assertEquals(Secret.of(KEY_TEXT), box.decryptSecret(b));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tmp.resolve("pki/data-keys"))));

        // Another process opening the same file reads what this one wrote.
        assertEquals(KEY_TEXT, SecretBox.open(tmp.resolve("pki/data-keys")).decrypt(a));
    }

    @Test
    void afterRotationNewValuesUseTheNewKeyAndOldOnesStillDecrypt() {
        SecretBox box = SecretBox.openOrCreate(tmp.resolve("data-keys"));
        String first = box.currentKeyId();
        String old = box.encrypt("one");

        String second = box.rotate();

        assertNotEquals(first, second);
        assertEquals(second, box.currentKeyId());
        assertTrue(box.encrypt("two").startsWith("enc:v1:" + second + ":"));
        assertEquals("one", box.decrypt(old));
        assertEquals(java.util.List.of(first, second), box.keyIds());

        // A box opened before the rotation (another node process) picks the new key up from the file.
        SecretBox other = SecretBox.open(tmp.resolve("data-keys"));
        other.rotate();
        assertEquals(other.currentKeyId(), box.currentKeyId());
    }

    @Test
    void tamperedCutMovedOrForeignCiphertextIsRefused() {
        SecretBox box = SecretBox.openOrCreate(tmp.resolve("data-keys"));
        String good = box.encrypt("hello");
        String prefix = good.substring(0, good.lastIndexOf(':') + 1);
        byte[] raw = Base64.getDecoder().decode(good.substring(prefix.length()));
        raw[raw.length - 1] ^= 1;
        String tampered = prefix + Base64.getEncoder().encodeToString(raw);

        assertTrue(assertThrows(SecretBoxException.class, () -> box.decrypt(tampered)).getMessage()
                .contains("fails authentication"));
        assertThrows(SecretBoxException.class, () -> box.decrypt(prefix + "AAAA"));
        assertThrows(SecretBoxException.class, () -> box.decrypt(prefix + "not base64!"));
        assertThrows(SecretBoxException.class, () -> box.decrypt("hello"));

        // The key id is authenticated: relabelling a value with another key id fails too.
        String second = box.rotate();
        String relabelled = good.replace(prefix, "enc:v1:" + second + ":");
        assertThrows(SecretBoxException.class, () -> box.decrypt(relabelled));

        SecretBox foreign = SecretBox.openOrCreate(tmp.resolve("other/data-keys"));
        SecretBoxException unknown = assertThrows(SecretBoxException.class, () -> foreign.decrypt(good));
        assertTrue(unknown.getMessage().contains("does not hold"), unknown.getMessage());
        assertFalse(unknown.getMessage().contains("hello"));
    }

    @Test
    void aSecretNeverPrintsItsValueNeitherAsTextNorAsJson() throws Exception {
        Secret s = Secret.of(KEY_TEXT);
        assertEquals("Secret[****]", s.toString());
        assertEquals("Secret[****]", String.valueOf(s));
        String json = new ObjectMapper().writeValueAsString(Map.of("privtoken", s));
        assertEquals("{\"privtoken\":\"****\"}", json);
        record Allocation(String name, Secret privtoken) {}
        assertFalse(new Allocation("a", s).toString().contains("OPENSSH"));
        assertFalse(new ObjectMapper().writeValueAsString(new Allocation("a", s)).contains("OPENSSH"));
        assertEquals(KEY_TEXT, s.reveal());
    }
}
