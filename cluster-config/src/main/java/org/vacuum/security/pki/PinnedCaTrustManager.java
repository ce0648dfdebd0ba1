package org.vacuum.security.pki;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What a joining node trusts before it has the space's CA: a server whose chain contains a CA
 * certificate with the fingerprint its join token carries, and validates (PKIX) up to that
 * certificate. A server that shows any other CA is refused with both fingerprints in the message.
 * After a successful handshake {@link #ca()} is the CA that was found, to be kept as {@code ca.pem}.
 * It trusts servers only; it refuses every client.
 */
public final class PinnedCaTrustManager extends X509ExtendedTrustManager {

    private final String fingerprint;
    private volatile X509Certificate found;

    public PinnedCaTrustManager(String fingerprint) {
        this.fingerprint = Fingerprint.normalize(fingerprint);
    }

    public Optional<X509Certificate> ca() {
        return Optional.ofNullable(found);
    }

    private X509ExtendedTrustManager anchorIn(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("server sent no certificate");
        }
        for (X509Certificate c : chain) {
            if (Fingerprint.matches(c, fingerprint)) {
                found = c;
                return SpaceTrustManager.pkixTrusting(c);
            }
        }
        X509Certificate top = chain[chain.length - 1];
        throw new CertificateException("the server's CA " + top.getSubjectX500Principal().getName() + " has fingerprint "
                + Fingerprint.of(top) + ", the join token expects " + fingerprint);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        anchorIn(chain).checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        anchorIn(chain).checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        anchorIn(chain).checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a joining node trusts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
