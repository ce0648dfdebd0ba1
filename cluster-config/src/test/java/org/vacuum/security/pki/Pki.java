package org.vacuum.security.pki;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test material: a self-signed certificate that claims to be a node of a space. */
final class Pki {

    private Pki() {}

    static Credential selfSignedNode(String fqdn, String space) throws Exception {
        KeyPair keys = KeyPairs.generate();
        X500Name name = new X500Name("O=" + space + ",OU=node,CN=" + fqdn);
        Instant now = Instant.now();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                name, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                Date.from(now.plus(1, ChronoUnit.DAYS)), name, keys.getPublic())
                .addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.dNSName, fqdn)))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        return new Credential(keys.getPrivate(), cert, cert);
    }

    /** A node certificate signed by {@code ca}'s own key but naming {@code space}, as a misused CA could make. */
    static X509Certificate nodeOfSpaceSignedBy(SpaceCa ca, String fqdn, String space) throws Exception {
        KeyPair keys = KeyPairs.generate();
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name("O=" + space + ",OU=node,CN=" + fqdn),
                keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA")
                        .build(PemFiles.readPrivateKey(ca.directory().resolve(SpaceCa.CA_KEY)))));
    }

    static Path write(Credential c, Path dir) {
        c.write(dir);
        return dir;
    }
}
