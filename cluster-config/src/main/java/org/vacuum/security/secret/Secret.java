package org.vacuum.security.secret;

import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A secret value in memory (an allocation's private key, a password) that does not leak by
 * accident: {@code toString} is {@code Secret[****]} and Jackson writes it as {@code "****"}, so
 * a log line, an event dump or an API response shows only that a secret is there. The clear value
 * comes out only through {@link #reveal()}, which a reader can search for. A Secret is never
 * meant to be persisted as such: store {@link SecretBox#encrypt} of it instead (Jackson cannot
 * read a Secret back, by design). Equality compares the values in constant time.
 */
public final class Secret {

    public static final String MASK = "****";

    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "secret value");
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The clear value. Each call site is a place the secret leaves its wrapper; keep them few. */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @JsonValue
    String masked() {
        return MASK;
    }

    @Override
    public String toString() {
        return "Secret[" + MASK + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8),
                s.value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
