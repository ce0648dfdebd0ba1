package org.vacuum.security.token;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bearer tokens with which scripts call the admin API as a user ({@code vacuum token create
 * --user NAME}). The text is {@code vat1.ID.SECRET}; only a hash of the secret is stored
 * ({@link HashedTokenStore}, file 0600), so the text is shown once, at creation.
 *
 * <p>Contract: {@link #verify} answers the user a text speaks for, or empty if it is malformed,
 * unknown, forged, revoked or expired (use {@link #refusal} for the reason, to log, never to
 * send); it compares in constant time and re-reads the store only when the file changed, so a
 * revocation by another process counts from the next request. Tokens can be used any number of
 * times until they expire or are revoked.
 */
public final class ApiTokens {

    /** A token just made: {@code text} is the only copy of its secret. */
    public record Created(String id, String user, Instant expires, String text) {
        @Override
        public String toString() {
            return "ApiToken[id=" + id + ", user=" + user + ", expires=" + expires + "]";
        }
    }

    /** The store's file name in {@code STATE_DIR/pki/}. */
    public static final String FILE = "api-tokens";
    public static final String PREFIX = "vat1";
    private static final Pattern FORM = Pattern.compile("vat1\\.([0-9a-f]{16})\\.([A-Za-z0-9_-]{43})");

    private final HashedTokenStore store;
    private final Clock clock;

    public ApiTokens(Path file, Clock clock) {
        this.store = new HashedTokenStore(file);
        this.clock = clock;
    }

    public ApiTokens(Path file) {
        this(file, Clock.systemUTC());
    }

    public Created create(String user, Duration ttl) {
        HashedTokenStore.Issued t = store.issue(user, ttl, clock.instant());
        return new Created(t.entry().id(), user, t.entry().expires(), PREFIX + "." + t.entry().id() + "." + t.secret());
    }

    /** The user {@code text} speaks for now, or empty. */
    public Optional<String> verify(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        HashedTokenStore.Check c = store.check(m.group(1), m.group(2), clock.instant());
        return c.verdict() == HashedTokenStore.Verdict.GOOD ? c.entry().map(HashedTokenStore.Entry::subject) : Optional.empty();
    }

    /** Why {@code text} is refused (one line naming the token id), or empty if it is good. */
    public Optional<String> refusal(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return Optional.of("API token is malformed: expected vat1.<16 hex id>.<43-character secret>");
        }
        String id = m.group(1);
        return switch (store.check(id, m.group(2), clock.instant()).verdict()) {
            case GOOD -> Optional.empty();
            case UNKNOWN -> Optional.of("API token " + id + " is unknown");
            case WRONG_SECRET -> Optional.of("API token " + id + " is forged: its secret does not match");
            case USED, REVOKED -> Optional.of("API token " + id + " was revoked");
            case EXPIRED -> Optional.of("API token " + id + " has expired");
        };
    }

    public boolean revoke(String id) {
        return store.revoke(id, clock.instant());
    }

    public List<HashedTokenStore.Entry> list() {
        return store.list();
    }
}
