package org.vacuum.security.pki;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vacuum.security.FileStamp;

/**
 * The revoked serials of the space, read from the CA's {@code crl.pem} and read again whenever the
 * file changes (another inode, size or modification time; the CA replaces it by rename, so every
 * rewrite is seen). Checking costs one {@code stat} per call, cheap enough for every handshake.
 *
 * <p>Contract: {@link #revoked()} returns the serials of the newest valid CRL. No file at all
 * means nothing is revoked yet (a node that has not received a CRL). A file that cannot be read,
 * is not a CRL, or is not signed by the space's CA makes {@link #revoked()} throw a
 * {@link PkiException} naming the file: the caller refuses the peer rather than forget a revocation.
 */
public final class RevocationList {

    private record Snapshot(FileStamp stamp, Set<BigInteger> serials) {}

    private final Path file;
    private final X509Certificate ca;
    private volatile Snapshot current;

    public RevocationList(Path file, X509Certificate ca) {
        this.file = file;
        this.ca = ca;
    }

    public Path file() {
        return file;
    }

    public boolean isRevoked(BigInteger serial) {
        return revoked().contains(serial);
    }

    public Set<BigInteger> revoked() {
        FileStamp stamp;
        try {
            stamp = FileStamp.of(file);
        } catch (java.io.UncheckedIOException e) {
            throw new PkiException(file + ": cannot read the CRL: " + e.getMessage(), e);
        }
        if (stamp.equals(FileStamp.MISSING)) {
            return Set.of();
        }
        Snapshot s = current;
        if (s != null && s.stamp().equals(stamp)) {
            return s.serials();
        }
        synchronized (this) {
            X509CRL crl = PemFiles.readCrl(file);
            if (!crl.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
                throw new PkiException(file + ": CRL of " + crl.getIssuerX500Principal() + ", not of the space CA "
                        + ca.getSubjectX500Principal());
            }
            try {
                crl.verify(ca.getPublicKey());
            } catch (Exception e) {
                throw new PkiException(file + ": CRL signature does not verify with the space CA's key", e);
            }
            Set<BigInteger> serials = new HashSet<>();
            Set<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
            if (entries != null) {
                entries.forEach(en -> serials.add(en.getSerialNumber()));
            }
            current = new Snapshot(stamp, Set.copyOf(serials));
            return current.serials();
        }
    }

    /** The first certificate of {@code chain} issued by the space CA and revoked, or null. */
    X509Certificate firstRevoked(List<X509Certificate> chain) {
        Set<BigInteger> serials = revoked();
        for (X509Certificate c : chain) {
            if (c.getIssuerX500Principal().equals(ca.getSubjectX500Principal()) && serials.contains(c.getSerialNumber())) {
                return c;
            }
        }
        return null;
    }
}
