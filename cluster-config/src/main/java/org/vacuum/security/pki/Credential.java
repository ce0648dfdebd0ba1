package org.vacuum.security.pki;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.vacuum.security.FileModes;

/**
 * What a holder of a space certificate keeps: its private key, its certificate and the space's CA
 * certificate. On disk a credential is a directory (0700) of three files: {@code key.pem}
 * (0600), {@code cert.pem} and {@code ca.pem} (0644) — a node's own credential, the operator's
 * (in a directory only root can read), a user's {@code ~/.vacuum/}.
 *
 * <p>{@link #write} writes the key before the certificate, each atomically; a reader that comes
 * between the two sees a key that does not match the certificate, which
 * {@link CredentialKeyManager} detects and skips until the certificate follows.
 */
public record Credential(PrivateKey key, X509Certificate certificate, X509Certificate ca) {

    public static final String KEY = "key.pem";
    public static final String CERT = "cert.pem";
    public static final String CA = "ca.pem";

    public void write(Path dir) {
        FileModes.privateDir(dir);
        PemFiles.writeCertificate(dir.resolve(CA), ca);
        PemFiles.writePrivateKey(dir.resolve(KEY), key);
        PemFiles.writeCertificate(dir.resolve(CERT), certificate);
    }

    /** Reads the three files of {@code dir}; a {@link PkiException} names the file that is missing or bad. */
    public static Credential read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new PkiException(dir + ": no credential directory (expected " + KEY + ", " + CERT + ", " + CA + ")");
        }
        Credential c = new Credential(PemFiles.readPrivateKey(dir.resolve(KEY)),
                PemFiles.readCertificate(dir.resolve(CERT)), PemFiles.readCertificate(dir.resolve(CA)));
        if (!KeyPairs.matches(c.key, c.certificate.getPublicKey())) {
            throw new PkiException(dir.resolve(KEY) + " does not belong to the certificate in " + dir.resolve(CERT));
        }
        return c;
    }

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(KEY)) && Files.isRegularFile(dir.resolve(CERT))
                && Files.isRegularFile(dir.resolve(CA));
    }

    /** Whether the certificate ends within {@code margin} of {@code now}: time for its holder to renew it. */
    public boolean expiresWithin(Duration margin, Instant now) {
        return expiresWithin(certificate, margin, now);
    }

    public static boolean expiresWithin(X509Certificate cert, Duration margin, Instant now) {
        return !cert.getNotAfter().toInstant().isAfter(now.plus(margin));
    }
}
