package org.vacuum.security.pki;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a TLS peer only if its chain leads to the space's CA (the only trust anchor; the JDK's
 * PKIX validation checks signatures, validity dates, key usage and, when the connection asks for
 * it, the host name), none of its certificates is on the space's CRL ({@link RevocationList},
 * re-read when the file changes) and its certificate names this space and is of an accepted kind (a user certificate
 * cannot join the cluster as a node). Every refusal is a {@link CertificateException} whose
 * message names the peer and the reason; the handshake fails with it.
 */
public final class SpaceTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager pkix;
    private final X509Certificate ca;
    private final RevocationList crl;
    private final Set<CertificateKind> accepted;
    private final Optional<String> space;

    /**
     * @param crl      the space's CRL, or null where no CRL is kept (a client that trusts servers only)
     * @param accepted the kinds of peer certificate accepted; empty means any kind of the space
     */
    public SpaceTrustManager(X509Certificate ca, RevocationList crl, Set<CertificateKind> accepted) {
        this.ca = ca;
        this.crl = crl;
        this.accepted = accepted.isEmpty() ? EnumSet.allOf(CertificateKind.class) : EnumSet.copyOf(accepted);
        this.pkix = pkixTrusting(ca);
        this.space = SpaceIdentity.spaceOf(ca);
    }

    static X509ExtendedTrustManager pkixTrusting(X509Certificate anchor) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("space-ca", anchor);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the PKIX trust manager factory made no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new PkiException("cannot build a trust manager for CA " + anchor.getSubjectX500Principal() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix(() -> pkix.checkClientTrusted(chain, authType), chain);
        checkSpace(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix(() -> pkix.checkClientTrusted(chain, authType, socket), chain);
        checkSpace(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        pkix(() -> pkix.checkClientTrusted(chain, authType, engine), chain);
        checkSpace(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix(() -> pkix.checkServerTrusted(chain, authType), chain);
        checkSpace(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix(() -> pkix.checkServerTrusted(chain, authType, socket), chain);
        checkSpace(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        pkix(() -> pkix.checkServerTrusted(chain, authType, engine), chain);
        checkSpace(chain);
    }

    /** Only the space's CA: a peer sees it as the one issuer whose certificates are asked for. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[] {ca};
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private void pkix(Check check, X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("peer sent no certificate");
        }
        try {
            check.run();
        } catch (CertificateException e) {
            throw new CertificateException("certificate " + describe(chain[0]) + " is not trusted: it is not from "
                    + "the space CA " + ca.getSubjectX500Principal() + " or not valid now (" + e.getMessage() + ")", e);
        }
    }

    private void checkSpace(X509Certificate[] chain) throws CertificateException {
        if (crl != null) {
            X509Certificate revoked;
            try {
                revoked = crl.firstRevoked(List.of(chain));
            } catch (PkiException e) {
                throw new CertificateException("cannot check revocation, refusing " + describe(chain[0]) + ": "
                        + e.getMessage(), e);
            }
            if (revoked != null) {
                throw new CertificateException("certificate " + describe(revoked) + " is revoked (" + crl.file() + ")");
            }
        }
        Optional<SpaceIdentity> id = SpaceIdentity.of(chain[0]);
        if (id.isPresent() && !space.equals(Optional.of(id.get().space()))) {
            // Only this CA's certificates get here, so this holds unless the CA was misused; say so by name.
            throw new CertificateException("certificate " + describe(chain[0]) + " names space '" + id.get().space()
                    + "', this is space '" + space.orElse("?") + "'");
        }
        if (id.isEmpty() || !accepted.contains(id.get().kind())) {
            throw new CertificateException("certificate " + describe(chain[0]) + " is not of an accepted kind ("
                    + accepted.stream().map(CertificateKind::marker).collect(Collectors.joining(", ")) + ")");
        }
    }

    static String describe(X509Certificate c) {
        return "'" + c.getSubjectX500Principal().getName() + "' serial " + IssuedCertificate.serialText(c.getSerialNumber());
    }

    static String describe(X509Certificate[] chain) {
        return Arrays.stream(chain).map(SpaceTrustManager::describe).collect(Collectors.joining(" <- "));
    }
}
