package org.vacuum.security.pki;

import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Who a certificate of the space names: its kind (node, user, operator), the name (a factory
 * FQDN or a user name) and the space. The subject is {@code CN=name, OU=kind, O=space}; the CA's
 * own subject is {@code CN=space CA, OU=ca, O=space}. {@link #of} reads that back from a peer's
 * certificate after the trust manager has accepted it; it says nothing about whether the
 * certificate is valid.
 *
 * <p>Names are checked when a certificate is issued: a node name must be a DNS name; a user or
 * operator name is letters, digits and {@code . _ @ -}, up to 64 characters; a space name is a
 * DNS-like name. Nothing else reaches a subject, so no escaping tricks can make one name look
 * like another.
 */
public record SpaceIdentity(CertificateKind kind, String name, String space) {

    static final String CA_MARKER = "ca";

    private static final Pattern FQDN = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    private static final Pattern SPACE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");

    /** The identity in {@code cert}'s subject, or empty if it is not a node, user or operator of a space. */
    public static Optional<SpaceIdentity> of(X509Certificate cert) {
        X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        Optional<String> cn = value(subject, BCStyle.CN);
        Optional<String> ou = value(subject, BCStyle.OU);
        Optional<String> o = value(subject, BCStyle.O);
        if (cn.isEmpty() || ou.isEmpty() || o.isEmpty()) {
            return Optional.empty();
        }
        return CertificateKind.ofMarker(ou.get()).map(k -> new SpaceIdentity(k, cn.get(), o.get()));
    }

    /** The space (the O) named in {@code cert}'s subject, a CA's included; empty if there is none. */
    public static Optional<String> spaceOf(X509Certificate cert) {
        return value(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()), BCStyle.O);
    }

    static X500Name subject(CertificateKind kind, String name, String space) {
        checkName(kind, name);
        return name(name, kind.marker(), space);
    }

    static X500Name caSubject(String space) {
        checkSpace(space);
        return name(space + " CA", CA_MARKER, space);
    }

    static void checkName(CertificateKind kind, String name) {
        Pattern p = kind == CertificateKind.NODE ? FQDN : USER;
        if (name == null || !p.matcher(name).matches()) {
            throw new PkiException(kind == CertificateKind.NODE
                    ? "node name '" + name + "' is not a fully qualified domain name"
                    : kind.marker() + " name '" + name + "' must be letters, digits and . _ @ - (at most 64)");
        }
    }

    static void checkSpace(String space) {
        if (space == null || !SPACE.matcher(space).matches()) {
            throw new PkiException("space name '" + space + "' must be a DNS-like name (letters, digits, . _ -)");
        }
    }

    private static X500Name name(String cn, String ou, String o) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, o).addRDN(BCStyle.OU, ou).addRDN(BCStyle.CN, cn).build();
    }

    private static Optional<String> value(X500Name name, ASN1ObjectIdentifier type) {
        RDN[] rdns = name.getRDNs(type);
        if (rdns.length != 1 || rdns[0].isMultiValued()) {
            return Optional.empty(); // ambiguous subjects name nobody
        }
        return Optional.of(IETFUtils.valueToString(rdns[0].getFirst().getValue()));
    }
}
