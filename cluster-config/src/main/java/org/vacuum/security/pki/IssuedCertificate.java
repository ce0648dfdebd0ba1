package org.vacuum.security.pki;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * One line of the CA's index: a certificate the CA issued, and when it was revoked if it was.
 * Serials are written as lower-case hex ({@link #serialText}); {@link #parseSerial} also accepts
 * upper case, colons and a {@code 0x} prefix, as people copy them from {@code openssl} output.
 */
public record IssuedCertificate(BigInteger serial, CertificateKind kind, String name,
                                Instant notBefore, Instant notAfter, Optional<Instant> revokedAt) {

    public boolean revoked() {
        return revokedAt.isPresent();
    }

    public String serialHex() {
        return serialText(serial);
    }

    IssuedCertificate revokedAt(Instant when) {
        return new IssuedCertificate(serial, kind, name, notBefore, notAfter, Optional.of(when));
    }

    public static String serialText(BigInteger serial) {
        return serial.toString(16);
    }

    public static BigInteger parseSerial(String text) {
        String t = text == null ? "" : text.trim().replace(":", "").toLowerCase(Locale.ROOT);
        if (t.startsWith("0x")) {
            t = t.substring(2);
        }
        if (!t.matches("[0-9a-f]{1,64}")) {
            throw new PkiException("not a certificate serial (hex digits, as 'vacuum ca list' shows): '" + text + "'");
        }
        return new BigInteger(t, 16);
    }
}
