package org.vacuum.security.token;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vacuum.security.token.HashedTokenStore.Check;

/**
 * One-time tokens with which a new node joins the space (as kubeadm's bootstrap tokens and
 * Elasticsearch's enrollment tokens work). The text is
 * {@code vj1.ID.SECRET.FINGERPRINT}: the token's id, its secret, and the SHA-256 fingerprint of
 * the space's CA certificate, so the joining node can check it talks to the right space before it
 * sends anything ({@link #parse} needs no store).
 *
 * <p>Contract: {@link #create} stores only a hash of the secret ({@link HashedTokenStore}, file
 * 0600) and returns the only copy of the text. {@link #consume} succeeds once per token; a
 * malformed text, another CA's fingerprint, an unknown id, a wrong secret, a used, revoked or
 * expired token are each refused with a {@link TokenRefused} of one line, and nothing is changed.
 * The caller issues the node's certificate only after {@link #consume} returned.
 */
public final class JoinTokens {

    /** A parsed join token. {@code toString} leaves the secret out. */
    public record JoinToken(String id, String secret, String caFingerprint) {
        @Override
        public String toString() {
            return "JoinToken[id=" + id + ", ca=" + caFingerprint + "]";
        }
    }

    /** The store's file name in {@code STATE_DIR/pki/}. */
    public static final String FILE = "join-tokens";
    public static final String PREFIX = "vj1";
    private static final Pattern FORM = Pattern.compile(
            "vj1\\.([0-9a-f]{16})\\.([A-Za-z0-9_-]{43})\\.([0-9a-fA-F]{64})");
    private static final String SUBJECT = "join";

    private final HashedTokenStore store;
    private final String caFingerprint;
    private final Clock clock;

    /** @param caFingerprint the fingerprint of this space's CA, which every token carries */
    public JoinTokens(Path file, String caFingerprint, Clock clock) {
        this.store = new HashedTokenStore(file);
        this.caFingerprint = caFingerprint.toLowerCase(Locale.ROOT);
        this.clock = clock;
    }

    public JoinTokens(Path file, String caFingerprint) {
        this(file, caFingerprint, Clock.systemUTC());
    }

    /** A new token valid for {@code ttl}: its text, shown once. */
    public String create(Duration ttl) {
        HashedTokenStore.Issued t = store.issue(SUBJECT, ttl, clock.instant());
        return PREFIX + "." + t.entry().id() + "." + t.secret() + "." + caFingerprint;
    }

    /** The parts of {@code text}, or a {@link TokenRefused} saying the text is not a join token. */
    public static JoinToken parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new TokenRefused("join token is malformed: expected vj1.<16 hex id>.<43-character secret>."
                    + "<64 hex CA fingerprint>, as 'vacuum node token create' prints it");
        }
        return new JoinToken(m.group(1), m.group(2), m.group(3).toLowerCase(Locale.ROOT));
    }

    /** Uses up the token {@code text}; returns it parsed, or refuses it changing nothing. */
    public JoinToken consume(String text) {
        JoinToken t = parse(text);
        if (!t.caFingerprint().equals(caFingerprint)) {
            throw new TokenRefused("join token " + t.id() + " is for the CA with fingerprint " + t.caFingerprint()
                    + ", but this space's CA is " + caFingerprint);
        }
        Check c = store.consume(t.id(), t.secret(), clock.instant());
        switch (c.verdict()) {
            case GOOD -> {
                return t;
            }
            case UNKNOWN -> throw new TokenRefused("join token " + t.id() + " is unknown to this space");
            case WRONG_SECRET -> throw new TokenRefused("join token " + t.id() + " is forged: its secret does not match");
            case USED -> throw new TokenRefused("join token " + t.id() + " was already used at "
                    + c.entry().get().endedAt().map(Instant::toString).orElse("?") + "; create a new one");
            case REVOKED -> throw new TokenRefused("join token " + t.id() + " was revoked");
            case EXPIRED -> throw new TokenRefused("join token " + t.id() + " expired at " + c.entry().get().expires()
                    + "; create a new one");
            default -> throw new IllegalStateException("unhandled verdict " + c.verdict());
        }
    }

    public List<HashedTokenStore.Entry> list() {
        return store.list();
    }

    public boolean revoke(String id) {
        return store.revoke(id, clock.instant());
    }
}
