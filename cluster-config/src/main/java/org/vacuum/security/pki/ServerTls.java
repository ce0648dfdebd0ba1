package org.vacuum.security.pki;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import org.vacuum.security.FileStamp;

/**
 * The TLS side of a server of the space (the admin HTTPS server, a node's cluster transport):
 * hands out one {@link SSLEngine} per connection, presenting the server's credential and checking
 * clients with {@link SpaceTrustManager}.
 *
 * <p>Why not one fixed {@link SSLContext}: a client that resumes a TLS session (a TLS 1.3 ticket,
 * a TLS 1.2 session id) is not shown to the trust manager again, so a revoked certificate would
 * keep getting in through its cached session. Session state and ticket keys belong to a context,
 * so whenever the CRL file changes {@link #context()} builds a new context (same key and trust
 * managers) and every earlier session becomes unresumable: after a revocation the next connection
 * of the revoked holder needs a full handshake, which the trust manager refuses. Connections
 * already open are not closed here.
 */
public final class ServerTls {

    private record Current(FileStamp crl, SSLContext context) {}

    private final KeyManager[] keyManagers;
    private final SpaceTrustManager trustManager;
    private final Path crlFile;
    private final boolean requireClientCertificate;
    private volatile Current current;

    /**
     * @param credentialDir            the server's {@link Credential}; its {@code ca.pem} is the trust anchor
     * @param crlFile                  the space's {@code crl.pem}
     * @param acceptedClients          kinds of client certificate accepted; empty for any kind of the space
     * @param requireClientCertificate true: no certificate, no connection; false: asked for but optional
     */
    public ServerTls(Path credentialDir, Path crlFile, Set<CertificateKind> acceptedClients,
                     boolean requireClientCertificate) {
        X509Certificate ca = PemFiles.readCertificate(credentialDir.resolve(Credential.CA));
        this.keyManagers = new KeyManager[] {new CredentialKeyManager(credentialDir)};
        this.trustManager = new SpaceTrustManager(ca, new RevocationList(crlFile, ca), acceptedClients);
        this.crlFile = crlFile;
        this.requireClientCertificate = requireClientCertificate;
        this.current = new Current(FileStamp.of(crlFile), TlsContexts.context(keyManagers, trustManager));
    }

    /** The context to use for a new connection: a new one after every change of the CRL file. */
    public SSLContext context() {
        FileStamp stamp = FileStamp.of(crlFile);
        Current c = current;
        if (c.crl().equals(stamp)) {
            return c.context();
        }
        synchronized (this) {
            if (!current.crl().equals(stamp)) {
                current = new Current(stamp, TlsContexts.context(keyManagers, trustManager));
            }
            return current.context();
        }
    }

    /** A server engine for one new connection. */
    public SSLEngine newEngine() {
        return TlsContexts.serverEngine(context(), requireClientCertificate);
    }

    /**
     * A listening socket of the current context. A server socket keeps the context it was made
     * with, so sessions it caches survive a revocation; long-lived servers should prefer
     * {@link #newEngine()} or open a new socket after a revocation.
     */
    public SSLServerSocket bind(InetSocketAddress address) {
        return TlsContexts.serverSocket(context(), address, requireClientCertificate);
    }
}
