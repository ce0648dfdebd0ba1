package org.vacuum.security.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.vacuum.security.FileLocks;
import org.vacuum.security.FileModes;

/**
 * The space's own certificate authority, kept in one directory ({@code STATE_DIR/pki/}, 0700):
 * {@code ca.key} (0600), {@code ca.pem}, {@code crl.pem} (0644) and {@code index} (0600, one line
 * per issued certificate). Every file is replaced atomically; changes to the index and CRL are
 * serialised between threads and processes ({@link FileLocks}).
 *
 * <p>Contract:
 * <ul>
 * <li>{@link #init} creates the CA once (EC P-256, see {@link KeyPairs}) and refuses if one is
 *     already there; {@link #open} refuses if none is; {@link #openOrInit} is a node's first start.
 * <li>{@link #issue} makes a key pair and a certificate here (for {@code vacuum ca issue});
 *     {@link #sign} certifies the key of a PKCS#10 request (a joining node, a renewing one) after
 *     checking its signature and key strength. The subject and extensions come from the kind and
 *     name given to the CA, never from the request. A certificate ends no later than the CA.
 * <li>Every issued certificate is in the index before it is returned. {@link #revoke} records
 *     the revocation and rewrites {@code crl.pem}, which every {@link SpaceTrustManager} re-reads.
 *     The CRL always exists once the CA does (empty at first).
 * </ul>
 * It does not distribute the CRL or certificates to other nodes; that is the caller's job.
 */
public final class SpaceCa {

    public static final String CA_KEY = "ca.key";
    public static final String CA_CERT = "ca.pem";
    public static final String CRL = "crl.pem";
    public static final String INDEX = "index";

    /** Certificates start a little in the past so a peer whose clock is behind accepts them at once. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final PrivateKey caKey;
    private final X509Certificate caCert;
    private final String space;
    private final Lifetimes lifetimes;
    private final Clock clock;

    private SpaceCa(Path dir, PrivateKey caKey, X509Certificate caCert, String space, Lifetimes lifetimes, Clock clock) {
        this.dir = dir;
        this.caKey = caKey;
        this.caCert = caCert;
        this.space = space;
        this.lifetimes = lifetimes;
        this.clock = clock;
    }

    /** Whether {@code dir} holds a CA (its certificate or its key). */
    public static boolean exists(Path dir) {
        return Files.exists(dir.resolve(CA_CERT)) || Files.exists(dir.resolve(CA_KEY));
    }

    public static SpaceCa init(Path dir, String space, Lifetimes lifetimes) {
        return init(dir, space, lifetimes, Clock.systemUTC());
    }

    /** Creates the CA of {@code space} in {@code dir}; a {@link PkiException} if one is already there. */
    public static SpaceCa init(Path dir, String space, Lifetimes lifetimes, Clock clock) {
        SpaceIdentity.checkSpace(space);
        FileModes.privateDir(dir);
        return FileLocks.withLock(dir.resolve(INDEX), () -> {
            if (Files.exists(dir.resolve(CA_CERT))) {
                throw new PkiException(dir + " already holds a CA (" + CA_CERT + "); remove the directory first "
                        + "to start a new space, which invalidates every certificate it issued");
            }
            if (Files.exists(dir.resolve(CA_KEY))) {
                throw new PkiException(dir + " holds " + CA_KEY + " but no " + CA_CERT + ": an interrupted 'vacuum ca "
                        + "init'; remove " + dir.resolve(CA_KEY) + " and run it again");
            }
            KeyPair keys = KeyPairs.generate();
            Instant now = clock.instant();
            X500Name subject = SpaceIdentity.caSubject(space);
            try {
                JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
                X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, newSerial(List.of()),
                        Date.from(now.minus(BACKDATE)), Date.from(now.plus(lifetimes.ca())), subject, keys.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                        .addExtension(Extension.keyUsage, true,
                                new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                        .addExtension(Extension.subjectKeyIdentifier, false,
                                ext.createSubjectKeyIdentifier(keys.getPublic()));
                X509Certificate cert = toCertificate(b.build(signer(keys.getPrivate())));
                // The certificate is written last: it is what exists() and open() look for first.
                PemFiles.writePrivateKey(dir.resolve(CA_KEY), keys.getPrivate());
                FileModes.writePrivate(dir.resolve(INDEX), writeIndex(List.of()));
                SpaceCa ca = new SpaceCa(dir, keys.getPrivate(), cert, space, lifetimes, clock);
                ca.writeCrl(List.of());
                PemFiles.writeCertificate(dir.resolve(CA_CERT), cert);
                return ca;
            } catch (GeneralSecurityException | IOException e) {
                throw new PkiException("cannot create the CA of space " + space + " in " + dir + ": " + e.getMessage(), e);
            }
        });
    }

    public static SpaceCa open(Path dir, Lifetimes lifetimes) {
        return open(dir, lifetimes, Clock.systemUTC());
    }

    /** Opens the CA in {@code dir}; a {@link PkiException} if there is none or its files do not match. */
    public static SpaceCa open(Path dir, Lifetimes lifetimes, Clock clock) {
        if (!Files.exists(dir.resolve(CA_CERT))) {
            throw new PkiException(dir + ": no CA here (" + CA_CERT + " missing); run 'vacuum ca init' first");
        }
        X509Certificate cert = PemFiles.readCertificate(dir.resolve(CA_CERT));
        PrivateKey key = PemFiles.readPrivateKey(dir.resolve(CA_KEY));
        if (!KeyPairs.matches(key, cert.getPublicKey())) {
            throw new PkiException(dir.resolve(CA_KEY) + " is not the key of the CA certificate " + dir.resolve(CA_CERT));
        }
        String space = SpaceIdentity.spaceOf(cert).orElseThrow(() -> new PkiException(dir.resolve(CA_CERT)
                + ": the CA certificate names no space (O=) in " + cert.getSubjectX500Principal().getName()));
        return new SpaceCa(dir, key, cert, space, lifetimes, clock);
    }

    /**
     * Opens the CA in {@code dir}, creating it first if there is none (the first node of a new
     * space). A CA that exists for another space is refused by name.
     */
    public static SpaceCa openOrInit(Path dir, String space, Lifetimes lifetimes, Clock clock) {
        SpaceCa ca;
        try {
            ca = init(dir, space, lifetimes, clock);
        } catch (PkiException alreadyThere) {
            if (!exists(dir)) {
                throw alreadyThere;
            }
            ca = open(dir, lifetimes, clock);
        }
        if (!ca.space().equals(space)) {
            throw new PkiException(dir + " holds the CA of space '" + ca.space() + "', not of '" + space + "'");
        }
        return ca;
    }

    public static SpaceCa openOrInit(Path dir, String space, Lifetimes lifetimes) {
        return openOrInit(dir, space, lifetimes, Clock.systemUTC());
    }

    public String space() {
        return space;
    }

    public Path directory() {
        return dir;
    }

    public X509Certificate certificate() {
        return caCert;
    }

    public Path crlFile() {
        return dir.resolve(CRL);
    }

    /** SHA-256 of the CA certificate's DER, 64 lower-case hex digits: what a join token carries. */
    public String fingerprint() {
        return Fingerprint.of(caCert);
    }

    // ---- issuing

    /** A new key pair and certificate for {@code kind} {@code name}; IP SANs only for nodes. */
    public Credential issue(CertificateKind kind, String name, List<InetAddress> ipAddresses) {
        KeyPair keys = KeyPairs.generate();
        X509Certificate cert = certify(keys.getPublic(), kind, name, ipAddresses);
        return new Credential(keys.getPrivate(), cert, caCert);
    }

    public Credential issue(CertificateKind kind, String name) {
        return issue(kind, name, List.of());
    }

    /**
     * Certifies the key in {@code csr} as {@code kind} {@code name}. Refused (with the reason) if
     * the request's signature does not verify or its key is weak; its subject is ignored.
     */
    public X509Certificate sign(PKCS10CertificationRequest csr, CertificateKind kind, String name,
                                List<InetAddress> ipAddresses) {
        PublicKey key;
        try {
            key = PemFiles.publicKey(csr.getSubjectPublicKeyInfo(), "certificate request for " + name);
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new PkiException("certificate request for " + name + " refused: its signature does not verify");
            }
        } catch (PkiException e) {
            throw e;
        } catch (Exception e) {
            throw new PkiException("certificate request for " + name + " refused: unreadable (" + e.getMessage() + ")", e);
        }
        String weak = KeyPairs.weakness(key);
        if (weak != null) {
            throw new PkiException("certificate request for " + name + " refused: " + weak);
        }
        return certify(key, kind, name, ipAddresses);
    }

    private X509Certificate certify(PublicKey key, CertificateKind kind, String name, List<InetAddress> ips) {
        X500Name subject = SpaceIdentity.subject(kind, name, space);
        if (kind != CertificateKind.NODE && !ips.isEmpty()) {
            throw new PkiException(kind.marker() + " certificate for " + name + ": IP addresses belong on node certificates only");
        }
        return FileLocks.withLock(dir.resolve(INDEX), () -> {
            List<IssuedCertificate> index = readIndex();
            Instant now = clock.instant();
            Instant notAfter = min(now.plus(lifetimes.of(kind)), caCert.getNotAfter().toInstant());
            BigInteger serial = newSerial(index);
            try {
                JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
                int usage = KeyUsage.digitalSignature | ("RSA".equals(key.getAlgorithm()) ? KeyUsage.keyEncipherment : 0);
                X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                        X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()), serial,
                        Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject, key)
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(kind.usages()))
                        .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
                        .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
                if (kind == CertificateKind.NODE) {
                    List<GeneralName> sans = new ArrayList<>();
                    sans.add(new GeneralName(GeneralName.dNSName, name));
                    for (InetAddress ip : ips) {
                        sans.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress()));
                    }
                    b.addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(sans.toArray(GeneralName[]::new)));
                }
                X509Certificate cert = toCertificate(b.build(signer(caKey)));
                List<IssuedCertificate> updated = new ArrayList<>(index);
                updated.add(new IssuedCertificate(serial, kind, name, cert.getNotBefore().toInstant(),
                        cert.getNotAfter().toInstant(), Optional.empty()));
                FileModes.writePrivate(dir.resolve(INDEX), writeIndex(updated));
                return cert;
            } catch (GeneralSecurityException | IOException e) {
                throw new PkiException("cannot issue a " + kind.marker() + " certificate for " + name + ": " + e.getMessage(), e);
            }
        });
    }

    // ---- the index and revocation

    /** Every certificate this CA issued, oldest first. */
    public List<IssuedCertificate> list() {
        return readIndex();
    }

    public Optional<IssuedCertificate> find(BigInteger serial) {
        return readIndex().stream().filter(c -> c.serial().equals(serial)).findFirst();
    }

    /**
     * Revokes certificate {@code serial} and rewrites the CRL. Revoking it again changes nothing
     * and returns the first revocation; an unknown serial is a {@link PkiException}.
     */
    public IssuedCertificate revoke(BigInteger serial) {
        return FileLocks.withLock(dir.resolve(INDEX), () -> {
            List<IssuedCertificate> index = new ArrayList<>(readIndex());
            for (int i = 0; i < index.size(); i++) {
                IssuedCertificate c = index.get(i);
                if (c.serial().equals(serial)) {
                    if (c.revoked()) {
                        return c;
                    }
                    IssuedCertificate revoked = c.revokedAt(clock.instant());
                    index.set(i, revoked);
                    FileModes.writePrivate(dir.resolve(INDEX), writeIndex(index));
                    writeCrl(index);
                    return revoked;
                }
            }
            throw new PkiException("no certificate with serial " + IssuedCertificate.serialText(serial)
                    + " in " + dir.resolve(INDEX) + " ('vacuum ca list' shows the serials)");
        });
    }

    public boolean isRevoked(BigInteger serial) {
        return find(serial).map(IssuedCertificate::revoked).orElse(false);
    }

    /** The current CRL as written to {@link #crlFile()}. */
    public X509CRL crl() {
        return PemFiles.readCrl(crlFile());
    }

    private void writeCrl(List<IssuedCertificate> index) {
        Instant now = clock.instant();
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(
                    X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()), Date.from(now));
            b.setNextUpdate(Date.from(now.plus(lifetimes.crl())));
            for (IssuedCertificate c : index) {
                if (c.revoked()) {
                    b.addCRLEntry(c.serial(), Date.from(c.revokedAt().get()), CRLReason.unspecified);
                }
            }
            // A CRL number that only grows, so a reader can tell the newer of two lists.
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(now.toEpochMilli())));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert));
            X509CRL crl = new JcaX509CRLConverter().getCRL(b.build(signer(caKey)));
            PemFiles.writeCrl(crlFile(), crl);
        } catch (GeneralSecurityException | IOException e) {
            throw new PkiException("cannot write the CRL " + crlFile() + ": " + e.getMessage(), e);
        }
    }

    private List<IssuedCertificate> readIndex() {
        Path file = dir.resolve(INDEX);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PkiException(file + ": cannot read the CA index: " + e.getMessage(), e);
        }
        List<IssuedCertificate> out = new ArrayList<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                if (f.length != 6) {
                    throw new IllegalArgumentException("expected 6 tab-separated fields, found " + f.length);
                }
                out.add(new IssuedCertificate(new BigInteger(f[0], 16),
                        CertificateKind.ofMarker(f[1]).orElseThrow(() -> new IllegalArgumentException("kind " + f[1])),
                        f[2], Instant.parse(f[3]), Instant.parse(f[4]),
                        f[5].equals("-") ? Optional.empty() : Optional.of(Instant.parse(f[5]))));
            } catch (RuntimeException e) {
                throw new PkiException(file + ":" + n + ": bad index line: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static String writeIndex(List<IssuedCertificate> index) {
        StringBuilder s = new StringBuilder("# serial\tkind\tname\tnotBefore\tnotAfter\trevokedAt\n");
        for (IssuedCertificate c : index) {
            s.append(c.serialHex()).append('\t').append(c.kind().marker()).append('\t').append(c.name())
                    .append('\t').append(c.notBefore()).append('\t').append(c.notAfter()).append('\t')
                    .append(c.revokedAt().map(Instant::toString).orElse("-")).append('\n');
        }
        return s.toString();
    }

    private static BigInteger newSerial(List<IssuedCertificate> index) {
        while (true) {
            // 127 random bits, positive and non-zero: unguessable, and unique without a counter file.
            BigInteger serial = new BigInteger(127, RANDOM);
            if (serial.signum() > 0 && index.stream().noneMatch(c -> c.serial().equals(serial))) {
                return serial;
            }
        }
    }

    private static ContentSigner signer(PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaContentSignerBuilder(KeyPairs.signatureAlgorithm(key)).build(key);
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static X509Certificate toCertificate(X509CertificateHolder holder) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
