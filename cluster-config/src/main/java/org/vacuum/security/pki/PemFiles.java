package org.vacuum.security.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.vacuum.security.FileModes;

/**
 * Reading and writing the PEM files of the space's PKI: private keys (PKCS#8, unencrypted; also
 * reads the traditional {@code EC}/{@code RSA PRIVATE KEY} forms), certificates and chains,
 * PKCS#10 certificate requests and CRLs.
 *
 * <p>Contract: every writer goes through {@link FileModes}, so a private key is written 0600 and
 * everything else 0644, atomically. Every reader either returns what it was asked for or throws a
 * {@link PkiException} naming the file and what it found instead; it never returns null. The
 * {@code *FromPem} / {@code toPem} forms do the same on text (a CSR or certificate sent over HTTP).
 */
public final class PemFiles {

    private PemFiles() {}

    // ---- writing

    public static void writePrivateKey(Path file, PrivateKey key) {
        FileModes.writePrivate(file, toPem(key));
    }

    public static void writeCertificate(Path file, X509Certificate cert) {
        writeCertificates(file, List.of(cert));
    }

    public static void writeCertificates(Path file, List<X509Certificate> certs) {
        FileModes.writePublic(file, toPem(certs.toArray()));
    }

    public static void writeCrl(Path file, X509CRL crl) {
        FileModes.writePublic(file, toPem(crl));
    }

    public static void writeCsr(Path file, PKCS10CertificationRequest csr) {
        FileModes.writePublic(file, toPem(csr));
    }

    /** PEM text of keys, certificates, CSRs or CRLs, one block each in order. */
    public static String toPem(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                if (o instanceof PrivateKey key) {
                    // PKCS#8 ("PRIVATE KEY"), which every TLS stack and openssl read, for EC and RSA alike.
                    w.writeObject(new JcaPKCS8Generator(key, null));
                } else {
                    w.writeObject(o);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    // ---- reading

    public static PrivateKey readPrivateKey(Path file) {
        return privateKeyFromPem(read(file), file.toString());
    }

    /** The first certificate of {@code file} (a holder's own certificate comes first in its chain). */
    public static X509Certificate readCertificate(Path file) {
        return readCertificates(file).get(0);
    }

    /** Every certificate of {@code file}, in order; at least one. */
    public static List<X509Certificate> readCertificates(Path file) {
        return certificatesFromPem(read(file), file.toString());
    }

    public static X509CRL readCrl(Path file) {
        String where = file.toString();
        Object o = single(read(file), where);
        if (!(o instanceof X509CRLHolder holder)) {
            throw new PkiException(where + ": expected an X509 CRL, found " + describe(o));
        }
        try {
            return new JcaX509CRLConverter().getCRL(holder);
        } catch (CRLException e) {
            throw new PkiException(where + ": unreadable CRL: " + e.getMessage(), e);
        }
    }

    public static PKCS10CertificationRequest readCsr(Path file) {
        return csrFromPem(read(file), file.toString());
    }

    public static PrivateKey privateKeyFromPem(String pem, String where) {
        Object o = single(pem, where);
        PrivateKeyInfo info = o instanceof PrivateKeyInfo i ? i : o instanceof PEMKeyPair pair ? pair.getPrivateKeyInfo() : null;
        if (info == null) {
            throw new PkiException(where + ": expected an unencrypted private key, found " + describe(o));
        }
        try {
            return KeyFactory.getInstance(jcaName(info.getPrivateKeyAlgorithm().getAlgorithm(), where))
                    .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            throw new PkiException(where + ": unreadable private key: " + e.getMessage(), e);
        }
    }

    /** The JDK public key for {@code spki} (from a CSR), EC or RSA. */
    public static PublicKey publicKey(SubjectPublicKeyInfo spki, String where) {
        try {
            return KeyFactory.getInstance(jcaName(spki.getAlgorithm().getAlgorithm(), where))
                    .generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            throw new PkiException(where + ": unreadable public key: " + e.getMessage(), e);
        }
    }

    private static String jcaName(ASN1ObjectIdentifier algorithm, String where) {
        if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            return "EC";
        }
        if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            return "RSA";
        }
        throw new PkiException(where + ": key algorithm " + algorithm + " is neither EC nor RSA");
    }

    public static List<X509Certificate> certificatesFromPem(String pem, String where) {
        List<X509Certificate> certs = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Object o : all(pem, where)) {
            if (!(o instanceof X509CertificateHolder holder)) {
                throw new PkiException(where + ": expected certificates only, found " + describe(o));
            }
            try {
                certs.add(converter.getCertificate(holder));
            } catch (CertificateException e) {
                throw new PkiException(where + ": unreadable certificate: " + e.getMessage(), e);
            }
        }
        if (certs.isEmpty()) {
            throw new PkiException(where + ": no certificate found");
        }
        return certs;
    }

    public static PKCS10CertificationRequest csrFromPem(String pem, String where) {
        Object o = single(pem, where);
        if (o instanceof PKCS10CertificationRequest csr) {
            return csr;
        }
        throw new PkiException(where + ": expected a PKCS#10 certificate request, found " + describe(o));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new PkiException(file + ": no such file");
        } catch (IOException e) {
            throw new PkiException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Object single(String pem, String where) {
        List<Object> objects = all(pem, where);
        if (objects.size() != 1) {
            throw new PkiException(where + ": expected one PEM block, found " + objects.size());
        }
        return objects.get(0);
    }

    private static List<Object> all(String pem, String where) {
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                objects.add(o);
            }
        } catch (IOException | RuntimeException e) {
            throw new PkiException(where + ": not valid PEM: " + e.getMessage(), e);
        }
        return objects;
    }

    private static String describe(Object o) {
        return o == null ? "nothing" : o.getClass().getSimpleName();
    }
}
