package org.vacuum.security.pki;

import java.time.Duration;

/**
 * How long the space's certificates live: the CA itself, node, user and operator certificates,
 * and how far ahead a CRL's {@code nextUpdate} is set. A certificate never outlives the CA that
 * signed it: its end is cut to the CA's. Every duration must be positive.
 */
public record Lifetimes(Duration ca, Duration node, Duration user, Duration operator, Duration crl) {

    /** CA 10 years; nodes 90 days (they renew themselves); users and operators 1 year; CRL 30 days. */
    public static final Lifetimes DEFAULT = new Lifetimes(Duration.ofDays(3650), Duration.ofDays(90),
            Duration.ofDays(365), Duration.ofDays(365), Duration.ofDays(30));

    public Lifetimes {
        for (Duration d : new Duration[] {ca, node, user, operator, crl}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("every certificate lifetime must be positive, got " + d);
            }
        }
    }

    public Duration of(CertificateKind kind) {
        return switch (kind) {
            case NODE -> node;
            case USER -> user;
            case OPERATOR -> operator;
        };
    }

    public Lifetimes withNode(Duration d) {
        return new Lifetimes(ca, d, user, operator, crl);
    }

    public Lifetimes withUser(Duration d) {
        return new Lifetimes(ca, node, d, operator, crl);
    }

    public Lifetimes withOperator(Duration d) {
        return new Lifetimes(ca, node, user, d, crl);
    }

    public Lifetimes withCa(Duration d) {
        return new Lifetimes(d, node, user, operator, crl);
    }
}
