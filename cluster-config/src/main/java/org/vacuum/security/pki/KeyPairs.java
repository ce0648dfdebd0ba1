package org.vacuum.security.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Key pairs and certificate requests of the space. Every key the space makes is EC on P-256:
 * as strong as RSA 3072 for a tenth of the size, signing and handshakes far cheaper on a
 * two-core factory, and supported by every JDK TLS provider and by OpenSSL. Keys from elsewhere
 * (a CSR made with openssl) are accepted if they are EC P-256/P-384 or RSA of at least 2048 bits.
 */
public final class KeyPairs {

    private KeyPairs() {}

    public static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 is part of every Java 17 runtime", e);
        }
    }

    /** A PKCS#10 request for {@code keys}, subject {@code CN=name}; the CA sets the real subject. */
    public static PKCS10CertificationRequest csr(KeyPair keys, String name) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build(), keys.getPublic())
                    .build(new JcaContentSignerBuilder(signatureAlgorithm(keys.getPrivate())).build(keys.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new PkiException("cannot sign a certificate request for " + name + ": " + e.getMessage(), e);
        }
    }

    static String signatureAlgorithm(PrivateKey key) {
        return "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
    }

    /** Why {@code key} is not acceptable for a space certificate, or null if it is. */
    static String weakness(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return bits == 256 || bits == 384 ? null : "EC key on a " + bits + "-bit curve (P-256 or P-384 needed)";
        }
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits >= 2048 ? null : "RSA key of " + bits + " bits (at least 2048 needed)";
        }
        return key.getAlgorithm() + " key (EC or RSA needed)";
    }

    /** Whether {@code priv} is the private half of {@code pub}: a signature made with one verifies with the other. */
    public static boolean matches(PrivateKey priv, PublicKey pub) {
        if (!priv.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        try {
            byte[] probe = "vacuum key pair check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(signatureAlgorithm(priv));
            s.initSign(priv);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(signatureAlgorithm(priv));
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
