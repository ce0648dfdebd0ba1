package org.vacuum.security.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokensTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T08:00:00Z"));

    @Test
    void aTokenVerifiesAsItsUserUntilRevokedAndOnlyItsHashIsStored() throws Exception {
        ApiTokens tokens = new ApiTokens(tmp.resolve("api-tokens"), clock);
        ApiTokens.Created alice = tokens.create("alice", Duration.ofDays(30));
        ApiTokens.Created bob = tokens.create("bob", Duration.ofDays(30));

        assertEquals(Optional.of("alice"), tokens.verify(alice.text()));
        assertEquals(Optional.of("alice"), tokens.verify(alice.text()), "usable more than once");
        assertEquals(Optional.of("bob"), tokens.verify(bob.text()));
        String secret = alice.text().substring(alice.text().lastIndexOf('.') + 1);
        assertFalse(Files.readString(tmp.resolve("api-tokens")).contains(secret));
        assertFalse(alice.toString().contains(secret));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("api-tokens"))));

        // Revoked through another instance (another process): seen at the next verify.
        assertTrue(new ApiTokens(tmp.resolve("api-tokens"), clock).revoke(alice.id()));
        assertEquals(Optional.empty(), tokens.verify(alice.text()));
        assertEquals(Optional.of("API token " + alice.id() + " was revoked"), tokens.refusal(alice.text()));
        assertEquals(Optional.of("bob"), tokens.verify(bob.text()));
        assertEquals(2, tokens.list().size());
    }

    @Test
    void forgedMalformedUnknownAndExpiredTokensVerifyAsNobody() {
        ApiTokens tokens = new ApiTokens(tmp.resolve("api-tokens"), clock);
        ApiTokens.Created t = tokens.create("alice", Duration.ofHours(1));
        String forged = t.text().substring(0, t.text().lastIndexOf('.') + 1) + "B".repeat(43);

        assertEquals(Optional.empty(), tokens.verify(forged));
        assertTrue(tokens.refusal(forged).orElseThrow().contains("forged"));
        assertEquals(Optional.empty(), tokens.verify("Bearer " + t.text()));
        assertEquals(Optional.empty(), tokens.verify(null));
        assertEquals(Optional.empty(), tokens.verify("vat1.0123456789abcdef." + "C".repeat(43)));

        clock.advance(Duration.ofHours(1));
        assertEquals(Optional.empty(), tokens.verify(t.text()));
        assertEquals(Optional.of("API token " + t.id() + " has expired"), tokens.refusal(t.text()));
    }
}
