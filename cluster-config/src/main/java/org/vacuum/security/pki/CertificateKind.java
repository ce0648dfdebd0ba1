package org.vacuum.security.pki;

import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * What a certificate of the space is for. The kind is written in the subject's OU (so a
 * certificate says by itself who holds it) and decides the extended key usages: a node is both
 * a TLS server and a TLS client (Artery connects both ways, the admin API serves); a user or an
 * operator only ever authenticates as a client.
 */
public enum CertificateKind {
    /** A factory or control node, named by its FQDN. */
    NODE("node", KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth),
    /** A VC3 user, named by the user's name. */
    USER("user", KeyPurposeId.id_kp_clientAuth),
    /** A space operator (factories, machines, drains, CA, tokens, audit). */
    OPERATOR("operator", KeyPurposeId.id_kp_clientAuth);

    private final String marker;
    private final KeyPurposeId[] usages;

    CertificateKind(String marker, KeyPurposeId... usages) {
        this.marker = marker;
        this.usages = usages;
    }

    /** The OU value that marks this kind, also its name in the index and on the command line. */
    public String marker() {
        return marker;
    }

    KeyPurposeId[] usages() {
        return usages.clone();
    }

    public static Optional<CertificateKind> ofMarker(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (CertificateKind k : values()) {
            if (k.marker.equals(t)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
