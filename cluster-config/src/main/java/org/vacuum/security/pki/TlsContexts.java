package org.vacuum.security.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManager;

/**
 * TLS for the space, built from PEM files: the admin HTTPS server, the CLI, node-to-node
 * connections and a joining node all get their {@link SSLContext} here.
 *
 * <ul>
 * <li>{@link #forCredential}: presents the credential in a directory (renewals picked up,
 *     {@link CredentialKeyManager}) and trusts only the space CA, refusing revoked serials and
 *     peers of other kinds ({@link SpaceTrustManager}). A client uses it as is; a server should
 *     take its engines from {@link ServerTls} (same managers, see there why), or from
 *     {@link #serverEngine}/{@link #serverSocket}, which ask for (or require) the client's certificate.
 * <li>{@link #trustingOnly}: a client with no certificate of its own (a script with a bearer token).
 * <li>{@link #pinnedTo}: a joining node, which knows only the CA's fingerprint.
 * </ul>
 * Only TLS 1.3 and 1.2 are enabled. A resumed TLS session skips the trust manager, so a server
 * that must notice revocations takes its engines from {@link ServerTls}, which drops every
 * session when the CRL changes; sessions also expire after {@link #SESSION_SECONDS} seconds.
 */
public final class TlsContexts {

    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    public static final int SESSION_SECONDS = 60;

    private TlsContexts() {}

    /**
     * @param credentialDir the holder's {@link Credential} directory; its {@code ca.pem} is the trust anchor
     * @param crlFile       the space's CRL ({@code crl.pem}), or null to keep no revocation list
     * @param acceptedPeers the kinds of peer certificate accepted; empty for any kind of the space
     */
    public static SSLContext forCredential(Path credentialDir, Path crlFile, Set<CertificateKind> acceptedPeers) {
        CredentialKeyManager km = new CredentialKeyManager(credentialDir);
        X509Certificate ca = PemFiles.readCertificate(credentialDir.resolve(Credential.CA));
        return context(new KeyManager[] {km}, new SpaceTrustManager(ca, revocations(crlFile, ca), acceptedPeers));
    }

    /** A client that presents no certificate and trusts servers of the space CA {@code ca} only. */
    public static SSLContext trustingOnly(X509Certificate ca, Path crlFile) {
        return context(null, new SpaceTrustManager(ca, revocations(crlFile, ca), Set.of(CertificateKind.NODE)));
    }

    /** A joining node's client: trusts a server of the CA with {@code pin}'s fingerprint only. */
    public static SSLContext pinnedTo(PinnedCaTrustManager pin) {
        return context(null, pin);
    }

    /** A server engine of {@code context}; {@code requireClientCertificate} false still asks for one. */
    public static SSLEngine serverEngine(SSLContext context, boolean requireClientCertificate) {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setSSLParameters(serverParameters(context, requireClientCertificate));
        return engine;
    }

    public static SSLServerSocket serverSocket(SSLContext context, InetSocketAddress bind, boolean requireClientCertificate) {
        try {
            SSLServerSocket s = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
            s.setReuseAddress(true);
            s.setSSLParameters(serverParameters(context, requireClientCertificate));
            s.bind(bind);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for TLS on " + bind + ": " + e.getMessage(), e);
        }
    }

    public static SSLParameters serverParameters(SSLContext context, boolean requireClientCertificate) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(PROTOCOLS);
        if (requireClientCertificate) {
            p.setNeedClientAuth(true);
        } else {
            p.setWantClientAuth(true);
        }
        return p;
    }

    /** Client parameters; {@code verifyHostname} checks the server's certificate names the host dialled. */
    public static SSLParameters clientParameters(SSLContext context, boolean verifyHostname) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(PROTOCOLS);
        if (verifyHostname) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        return p;
    }

    private static RevocationList revocations(Path crlFile, X509Certificate ca) {
        return crlFile == null ? null : new RevocationList(crlFile, ca);
    }

    static SSLContext context(KeyManager[] km, TrustManager tm) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(km, new TrustManager[] {tm}, null);
            ctx.getServerSessionContext().setSessionTimeout(SESSION_SECONDS);
            ctx.getClientSessionContext().setSessionTimeout(SESSION_SECONDS);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }
}
