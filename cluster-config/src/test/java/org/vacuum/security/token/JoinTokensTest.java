package org.vacuum.security.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinTokensTest {

    private static final String FP = "ab".repeat(32);
    private static final String OTHER_FP = "cd".repeat(32);

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T08:00:00Z"));

    private JoinTokens tokens() {
        return new JoinTokens(tmp.resolve("pki/join-tokens"), FP, clock);
    }

    private byte[] store() throws Exception {
        return Files.readAllBytes(tmp.resolve("pki/join-tokens"));
    }

    private static String refusal(Runnable r) {
        return assertThrows(TokenRefused.class, r::run).getMessage();
    }

    @Test
    void aTokenCarriesTheCaFingerprintAndWorksExactlyOnce() throws Exception {
        JoinTokens tokens = tokens();
        String text = tokens.create(Duration.ofHours(1));

        JoinTokens.JoinToken parsed = JoinTokens.parse(text);
        assertEquals(FP, parsed.caFingerprint());
        assertFalse(parsed.toString().contains(parsed.secret()), "toString leaves the secret out");
        assertFalse(new String(store()).contains(parsed.secret()), "only a hash of the secret is stored");
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tmp.resolve("pki/join-tokens"))));

        assertEquals(parsed.id(), tokens.consume(text).id());
        byte[] afterUse = store();
        String reuse = refusal(() -> tokens.consume(text));
        assertTrue(reuse.contains("already used"), reuse);
        assertTrue(java.util.Arrays.equals(afterUse, store()), "a refusal writes nothing");
        assertEquals(HashedTokenStore.State.USED, tokens.list().get(0).state());
    }

    @Test
    void anExpiredTokenIsRefusedAndStaysUnused() throws Exception {
        JoinTokens tokens = tokens();
        String text = tokens.create(Duration.ofMinutes(10));
        clock.advance(Duration.ofMinutes(10));
        byte[] before = store();

        String why = refusal(() -> tokens.consume(text));

        assertTrue(why.contains("expired at 2026-12-03T08:10:00Z"), why);
        assertTrue(java.util.Arrays.equals(before, store()));
        assertEquals(HashedTokenStore.State.ACTIVE, tokens.list().get(0).state());
    }

    @Test
    void wrongFingerprintForgedSecretUnknownIdAndMalformedTextAreRefusedAndNothingIsConsumed() throws Exception {
        JoinTokens tokens = tokens();
        String text = tokens.create(Duration.ofHours(1));
        JoinTokens.JoinToken t = JoinTokens.parse(text);
        byte[] before = store();

        String otherCa = refusal(() -> tokens.consume("vj1." + t.id() + "." + t.secret() + "." + OTHER_FP));
        assertTrue(otherCa.contains("this space's CA is " + FP), otherCa);

        String forgedSecret = "A".repeat(43);
        String forged = refusal(() -> tokens.consume("vj1." + t.id() + "." + forgedSecret + "." + FP));
        assertTrue(forged.contains("forged"), forged);

        String unknown = refusal(() -> tokens.consume("vj1.0123456789abcdef." + t.secret() + "." + FP));
        assertTrue(unknown.contains("unknown"), unknown);

        for (String bad : new String[] {"", "vj1", "vj1." + t.id() + "." + t.secret(), text + "x", "vat1.x.y",
                text.replace("vj1.", "vj2."), null}) {
            String m = refusal(() -> tokens.consume(bad));
            assertTrue(m.startsWith("join token is malformed"), m);
            assertFalse(m.contains(t.secret()));
        }
        for (String m : List.of(otherCa, forged, unknown)) {
            assertFalse(m.contains(t.secret()), "a refusal never shows the secret");
            assertFalse(m.contains("\n"), "one line");
        }

        assertTrue(java.util.Arrays.equals(before, store()), "nothing was written");
        assertEquals(t.id(), tokens.consume(text).id(), "the real token still works");
    }

    @Test
    void aRevokedTokenIsRefused() {
        JoinTokens tokens = tokens();
        String text = tokens.create(Duration.ofHours(1));
        assertTrue(tokens.revoke(JoinTokens.parse(text).id()));
        assertTrue(refusal(() -> tokens.consume(text)).contains("revoked"));
        assertFalse(tokens.revoke(JoinTokens.parse(text).id()));
    }

    @Test
    void concurrentUsesOfOneTokenSucceedOnce() throws Exception {
        JoinTokens tokens = tokens();
        String text = tokens.create(Duration.ofHours(1));
        JoinTokens second = tokens(); // another instance on the same file, as another request handler
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                JoinTokens which = i % 2 == 0 ? tokens : second;
                results.add(pool.submit((Callable<Boolean>) () -> {
                    try {
                        which.consume(text);
                        return true;
                    } catch (TokenRefused e) {
                        return false;
                    }
                }));
            }
            int ok = 0;
            for (Future<Boolean> f : results) {
                ok += f.get() ? 1 : 0;
            }
            assertEquals(1, ok);
        } finally {
            pool.shutdownNow();
        }
    }
}
