package org.vacuum.security.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpaceCaTest {

    @TempDir
    Path tmp;

    private static void validate(X509Certificate leaf, X509Certificate anchor) throws Exception {
        PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        p.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), p);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void initIssuesNodeAndUserCertificatesThatValidateToTheCaWithTheJdkPathValidator() throws Exception {
        Path dir = tmp.resolve("pki");
        SpaceCa ca = SpaceCa.init(dir, "demo.vacuum.localdomain", Lifetimes.DEFAULT);

        Credential node = ca.issue(CertificateKind.NODE, "factory1.demo.vacuum.localdomain",
                List.of(InetAddress.getByName("10.0.0.7")));
        Credential user = ca.issue(CertificateKind.USER, "alice");
        validate(node.certificate(), ca.certificate());
        validate(user.certificate(), ca.certificate());

        X509Certificate n = node.certificate();
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), n.getExtendedKeyUsage());
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), user.certificate().getExtendedKeyUsage());
        assertTrue(n.getSubjectAlternativeNames().stream().anyMatch(
                san -> (Integer) san.get(0) == 2 && san.get(1).equals("factory1.demo.vacuum.localdomain")));
        assertTrue(n.getSubjectAlternativeNames().stream().anyMatch(
                san -> (Integer) san.get(0) == 7 && san.get(1).equals("10.0.0.7")));
        assertEquals(-1, n.getBasicConstraints());
        assertEquals(0, ca.certificate().getBasicConstraints());
        assertEquals(new SpaceIdentity(CertificateKind.NODE, "factory1.demo.vacuum.localdomain", "demo.vacuum.localdomain"),
                SpaceIdentity.of(n).orElseThrow());
        assertEquals(new SpaceIdentity(CertificateKind.USER, "alice", "demo.vacuum.localdomain"),
                SpaceIdentity.of(user.certificate()).orElseThrow());
        assertEquals(CertificateKind.OPERATOR, SpaceIdentity.of(
                ca.issue(CertificateKind.OPERATOR, "root").certificate()).orElseThrow().kind());

        assertEquals("rwx------", mode(dir));
        assertEquals("rw-------", mode(dir.resolve(SpaceCa.CA_KEY)));
        assertEquals("rw-r--r--", mode(dir.resolve(SpaceCa.CA_CERT)));
        assertEquals("rw-r--r--", mode(dir.resolve(SpaceCa.CRL)));
        assertEquals("rw-------", mode(dir.resolve(SpaceCa.INDEX)));
    }

    @Test
    void aCertificateFromAnotherCaDoesNotValidate() throws Exception {
        SpaceCa ours = SpaceCa.init(tmp.resolve("ours"), "demo", Lifetimes.DEFAULT);
        SpaceCa theirs = SpaceCa.init(tmp.resolve("theirs"), "demo", Lifetimes.DEFAULT);
        X509Certificate foreign = theirs.issue(CertificateKind.NODE, "evil.attacker.example").certificate();
        assertThrows(CertPathValidatorException.class, () -> validate(foreign, ours.certificate()));
    }

    @Test
    void initRefusesAnExistingCaAndOpenOrInitReopensItButNotForAnotherSpace() {
        Path dir = tmp.resolve("pki");
        SpaceCa first = SpaceCa.openOrInit(dir, "demo", Lifetimes.DEFAULT);
        PkiException e = assertThrows(PkiException.class, () -> SpaceCa.init(dir, "demo", Lifetimes.DEFAULT));
        assertTrue(e.getMessage().contains("already holds a CA"), e.getMessage());

        SpaceCa again = SpaceCa.openOrInit(dir, "demo", Lifetimes.DEFAULT);
        assertEquals(first.fingerprint(), again.fingerprint());
        PkiException other = assertThrows(PkiException.class, () -> SpaceCa.openOrInit(dir, "prod", Lifetimes.DEFAULT));
        assertTrue(other.getMessage().contains("space 'demo', not of 'prod'"), other.getMessage());
        assertThrows(PkiException.class, () -> SpaceCa.open(tmp.resolve("none"), Lifetimes.DEFAULT));
    }

    @Test
    void fingerprintIsSha256OfTheCaCertificateDer() throws Exception {
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        byte[] der = PemFiles.readCertificate(tmp.resolve("pki/ca.pem")).getEncoded();
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der)), ca.fingerprint());
        assertEquals(64, ca.fingerprint().length());
    }

    @Test
    void signsACsrWithTheNameTheCaGivesNotTheOneRequested() throws Exception {
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        KeyPair keys = KeyPairs.generate();
        PKCS10CertificationRequest csr = KeyPairs.csr(keys, "operator-please");
        Path csrFile = tmp.resolve("req.pem");
        PemFiles.writeCsr(csrFile, csr);

        X509Certificate cert = ca.sign(PemFiles.readCsr(csrFile), CertificateKind.NODE, "factory2.demo", List.of());

        validate(cert, ca.certificate());
        assertEquals(keys.getPublic(), cert.getPublicKey());
        assertEquals("factory2.demo", SpaceIdentity.of(cert).orElseThrow().name());
        assertEquals(CertificateKind.NODE, SpaceIdentity.of(cert).orElseThrow().kind());
    }

    @Test
    void refusesACsrWhoseSignatureDoesNotMatchItsKeyAndBadNames() throws Exception {
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        KeyPair claimed = KeyPairs.generate();
        KeyPair signer = KeyPairs.generate();
        PKCS10CertificationRequest forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=x"),
                claimed.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));

        PkiException e = assertThrows(PkiException.class,
                () -> ca.sign(forged, CertificateKind.NODE, "factory3.demo", List.of()));
        assertTrue(e.getMessage().contains("signature does not verify"), e.getMessage());
        assertThrows(PkiException.class, () -> ca.issue(CertificateKind.NODE, "not a host name"));
        assertThrows(PkiException.class, () -> ca.issue(CertificateKind.USER, "alice,OU=operator"));
        assertEquals(0, ca.list().size(), "nothing refused reaches the index");
    }

    @Test
    void acceptsRsaRequestsOfAtLeast2048BitsAndRefusesWeakerOnes() throws Exception {
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        java.security.KeyPairGenerator rsa = java.security.KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        X509Certificate cert = ca.sign(KeyPairs.csr(rsa.generateKeyPair(), "x"), CertificateKind.USER, "carol", List.of());
        validate(cert, ca.certificate());

        rsa.initialize(1024);
        PkiException weak = assertThrows(PkiException.class,
                () -> ca.sign(KeyPairs.csr(rsa.generateKeyPair(), "x"), CertificateKind.USER, "dave", List.of()));
        assertTrue(weak.getMessage().contains("RSA key of 1024 bits (at least 2048 needed)"), weak.getMessage());
    }

    @Test
    void revokeRecordsItInTheIndexAndTheCrlAndKeepsOthersValid() throws Exception {
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        BigInteger a = ca.issue(CertificateKind.USER, "alice").certificate().getSerialNumber();
        BigInteger b = ca.issue(CertificateKind.NODE, "factory1.demo").certificate().getSerialNumber();
        assertTrue(ca.crl().getRevokedCertificates() == null, "the first CRL is empty");

        IssuedCertificate revoked = ca.revoke(IssuedCertificate.parseSerial(a.toString(16).toUpperCase()));

        assertTrue(revoked.revoked());
        assertTrue(ca.isRevoked(a));
        assertFalse(ca.isRevoked(b));
        X509CRL crl = PemFiles.readCrl(ca.crlFile());
        crl.verify(ca.certificate().getPublicKey());
        assertEquals(1, crl.getRevokedCertificates().size());
        assertTrue(crl.getRevokedCertificate(a) != null);
        assertEquals(List.of("alice", "factory1.demo"), ca.list().stream().map(IssuedCertificate::name).toList());
        assertEquals(revoked, ca.revoke(a), "revoking twice keeps the first revocation");
        assertThrows(PkiException.class, () -> ca.revoke(BigInteger.valueOf(12345)));

        // A reopened CA (another process, 'vacuum ca list') reads the same index.
        assertTrue(SpaceCa.open(tmp.resolve("pki"), Lifetimes.DEFAULT).isRevoked(a));
    }

    @Test
    void lifetimesAreConfigurableAndCutToTheCaAndRenewalIsDueWithinTheMargin() throws Exception {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Lifetimes l = Lifetimes.DEFAULT.withCa(Duration.ofDays(100)).withNode(Duration.ofDays(10))
                .withUser(Duration.ofDays(365));
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", l, Clock.fixed(t0, ZoneOffset.UTC));

        Credential node = ca.issue(CertificateKind.NODE, "factory1.demo");
        Credential user = ca.issue(CertificateKind.USER, "bob");

        assertEquals(t0.plus(Duration.ofDays(10)), node.certificate().getNotAfter().toInstant());
        assertEquals(ca.certificate().getNotAfter(), user.certificate().getNotAfter(), "no longer than the CA");
        assertFalse(node.expiresWithin(Duration.ofDays(3), t0.plus(Duration.ofDays(6))));
        assertTrue(node.expiresWithin(Duration.ofDays(3), t0.plus(Duration.ofDays(7))));
        assertTrue(node.expiresWithin(Duration.ZERO, t0.plus(Duration.ofDays(11))));
    }

    @Test
    void aCredentialBundleIsWrittenWithPrivateModesAndReadsBack() throws Exception {
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        Credential alice = ca.issue(CertificateKind.USER, "alice");
        Path home = tmp.resolve("home/.vacuum");

        alice.write(home);

        assertEquals("rwx------", mode(home));
        assertEquals("rw-------", mode(home.resolve(Credential.KEY)));
        assertEquals("rw-r--r--", mode(home.resolve(Credential.CERT)));
        assertEquals("rw-r--r--", mode(home.resolve(Credential.CA)));
        Credential back = Credential.read(home);
        assertEquals(alice.certificate(), back.certificate());
        assertEquals(ca.certificate(), back.ca());
        assertTrue(KeyPairs.matches(back.key(), alice.certificate().getPublicKey()));

        // A key from another credential is noticed, not silently used.
        PemFiles.writePrivateKey(home.resolve(Credential.KEY), KeyPairs.generate().getPrivate());
        assertThrows(PkiException.class, () -> Credential.read(home));
        assertNotEquals(0, Files.size(home.resolve(Credential.KEY)));
    }

    @Test
    void pemReadersNameTheFileAndWhatTheyFound() throws Exception {
        Path notPem = Files.writeString(tmp.resolve("cert.pem"), "hello");
        PkiException e = assertThrows(PkiException.class, () -> PemFiles.readCertificate(notPem));
        assertTrue(e.getMessage().startsWith(notPem.toString()), e.getMessage());
        SpaceCa ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        PkiException wrongKind = assertThrows(PkiException.class, () -> PemFiles.readPrivateKey(ca.crlFile()));
        assertTrue(wrongKind.getMessage().contains("expected an unencrypted private key"), wrongKind.getMessage());
    }
}
