package org.vacuum.security.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The SHA-256 fingerprint of a certificate's DER encoding, as 64 lower-case hex digits: how a
 * join token names the CA a joining node must find. {@link #normalize} accepts the upper-case
 * and colon-separated forms that {@code openssl x509 -fingerprint} prints.
 */
public final class Fingerprint {

    private Fingerprint() {}

    public static String of(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new PkiException("cannot encode certificate " + cert.getSubjectX500Principal() + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** The canonical form of {@code text}, or a {@link PkiException} saying why it is not a fingerprint. */
    public static String normalize(String text) {
        String t = text == null ? "" : text.trim().replace(":", "").toLowerCase(Locale.ROOT);
        if (!t.matches("[0-9a-f]{64}")) {
            throw new PkiException("not a SHA-256 fingerprint (64 hex digits): '" + text + "'");
        }
        return t;
    }

    /** Whether {@code cert} has fingerprint {@code expected}, compared in constant time. */
    public static boolean matches(X509Certificate cert, String expected) {
        return MessageDigest.isEqual(of(cert).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                normalize(expected).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
}
