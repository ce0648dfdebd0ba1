package org.vacuum.security.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS over loopback between an {@link SSLServerSocket} and a client socket, both from
 * {@link TlsContexts}. A handshake counts as accepted when the server read the client's byte
 * after the handshake and the client read the server's echo of it.
 */
class TlsHandshakeTest {

    private static final Set<CertificateKind> NODES = Set.of(CertificateKind.NODE);

    @TempDir
    Path tmp;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private SpaceCa ca;
    private Path serverDir;

    @BeforeEach
    void space() throws Exception {
        ca = SpaceCa.init(tmp.resolve("pki"), "demo", Lifetimes.DEFAULT);
        serverDir = Pki.write(ca.issue(CertificateKind.NODE, "localhost",
                List.of(InetAddress.getLoopbackAddress())), tmp.resolve("server"));
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** What each side saw of one connection. */
    private record Outcome(boolean serverAccepted, String serverError, boolean clientAccepted, String clientError) {
        boolean accepted() {
            return serverAccepted && clientAccepted;
        }

        boolean refusedByBoth() {
            return !serverAccepted && !clientAccepted;
        }
    }

    private Outcome connect(SSLContext serverCtx, boolean requireClientCert, SSLContext clientCtx, boolean verifyHost)
            throws Exception {
        try (SSLServerSocket server = TlsContexts.serverSocket(serverCtx,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), requireClientCert)) {
            return connect(server, clientCtx, verifyHost);
        }
    }

    private Outcome connect(SSLServerSocket server, SSLContext clientCtx, boolean verifyHost) throws Exception {
        Future<String> serverSide = pool.submit(() -> {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(20_000); // a safety net against a hung test, not a measurement
                s.startHandshake();
                int b = s.getInputStream().read();
                if (b < 0) {
                    return "client closed";
                }
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
                return null;
            } catch (IOException e) {
                return e.toString();
            }
        });
        String clientError = null;
        try (SSLSocket c = (SSLSocket) clientCtx.getSocketFactory().createSocket("localhost", server.getLocalPort())) {
            c.setSoTimeout(20_000);
            c.setSSLParameters(TlsContexts.clientParameters(clientCtx, verifyHost));
            c.startHandshake();
            c.getOutputStream().write(42);
            c.getOutputStream().flush();
            if (c.getInputStream().read() != 42) {
                clientError = "no echo";
            }
        } catch (IOException e) {
            clientError = e.toString();
        }
        String serverError = serverSide.get(30, TimeUnit.SECONDS);
        return new Outcome(serverError == null, serverError, clientError == null, clientError);
    }

    private SSLContext nodeContext(Path dir) {
        return TlsContexts.forCredential(dir, ca.crlFile(), NODES);
    }

    private Path node(String name) {
        return Pki.write(ca.issue(CertificateKind.NODE, name), tmp.resolve(name));
    }

    @Test
    void mutualAuthenticationSucceedsBetweenTwoNodesOfTheSpaceWithHostnameVerification() throws Exception {
        Outcome o = connect(nodeContext(serverDir), true, nodeContext(node("factory1.demo")), true);
        assertTrue(o.accepted(), o.toString());
    }

    @Test
    void aClientWithoutACertificateIsRefusedWhenOneIsRequired() throws Exception {
        SSLContext anonymous = TlsContexts.trustingOnly(ca.certificate(), ca.crlFile());
        Outcome o = connect(nodeContext(serverDir), true, anonymous, true);
        assertTrue(o.refusedByBoth(), o.toString());

        // Where a certificate is only asked for (the admin API, bearer tokens), the same client gets in.
        assertTrue(connect(nodeContext(serverDir), false, anonymous, true).accepted());
    }

    @Test
    void aClientFromAnotherCaIsRefusedAndSoIsAServerFromAnotherCa() throws Exception {
        SpaceCa other = SpaceCa.init(tmp.resolve("other-pki"), "demo", Lifetimes.DEFAULT);
        Credential foreignNode = other.issue(CertificateKind.NODE, "localhost", List.of(InetAddress.getLoopbackAddress()));
        Path foreign = Pki.write(foreignNode, tmp.resolve("foreign"));
        SSLContext foreignCtx = TlsContexts.forCredential(foreign, other.crlFile(), NODES);
        // The attacker knows our CA certificate (it is public) and trusts our server; only its own is foreign.
        Path knowing = Pki.write(new Credential(foreignNode.key(), foreignNode.certificate(), ca.certificate()),
                tmp.resolve("knowing"));

        Outcome asClient = connect(nodeContext(serverDir), true, TlsContexts.forCredential(knowing, null, NODES), false);
        assertTrue(asClient.refusedByBoth(), asClient.toString());
        assertTrue(asClient.serverError().contains("not trusted"), asClient.serverError());

        Outcome asServer = connect(foreignCtx, true, nodeContext(node("factory1.demo")), false);
        assertTrue(asServer.refusedByBoth(), asServer.toString());
    }

    @Test
    void aSelfSignedCertificateNamingANodeOfTheSpaceIsRefused() throws Exception {
        Path rogue = Pki.write(Pki.selfSignedNode("evil.attacker.example", "demo"), tmp.resolve("rogue"));
        // The rogue trusts anyone (its own "CA"); only the space side's refusal matters.
        SSLContext rogueCtx = TlsContexts.forCredential(rogue, null, Set.of());
        Outcome o = connect(nodeContext(serverDir), true, rogueCtx, false);
        assertTrue(o.refusedByBoth(), o.toString());
    }

    @Test
    void aRevokedClientIsRefusedAtTheNextHandshakeAfterTheCrlIsRewritten() throws Exception {
        Path client = node("factory9.demo");
        SSLContext serverCtx = nodeContext(serverDir);
        SSLContext clientCtx = nodeContext(client);
        assertTrue(connect(serverCtx, true, clientCtx, false).accepted());

        ca.revoke(PemFiles.readCertificate(client.resolve(Credential.CERT)).getSerialNumber());

        // A fresh client context, as a restarted client has: nothing to resume (see the ServerTls test).
        Outcome o = connect(serverCtx, true, nodeContext(client), false);
        assertTrue(o.refusedByBoth(), o.toString());
        assertTrue(o.serverError().contains("revoked"), o.serverError());
    }

    @Test
    void aRevokedClientCannotResumeItsCachedSessionWithAServerTls() throws Exception {
        Path client = node("factory9.demo");
        SSLContext clientCtx = nodeContext(client);
        ServerTls serverTls = new ServerTls(serverDir, ca.crlFile(), NODES, true);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        int port;
        try (SSLServerSocket server = serverTls.bind(any)) {
            port = server.getLocalPort();
            assertTrue(connect(server, clientCtx, false).accepted());
            // Without a revocation the same server resumes the client's session (the trust manager is not asked).
            assertTrue(connect(server, clientCtx, false).accepted());
        }

        ca.revoke(PemFiles.readCertificate(client.resolve(Credential.CERT)).getSerialNumber());

        // Same port, same client context: the client offers its cached session and must be refused.
        try (SSLServerSocket server = serverTls.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            Outcome o = connect(server, clientCtx, false);
            assertTrue(o.refusedByBoth(), o.toString());
            assertTrue(o.serverError().contains("revoked"), o.serverError());
        }
    }

    @Test
    void theTrustManagerRefusesRevokedForeignSelfSignedAndWrongKindCertificatesWithReasons() throws Exception {
        SpaceTrustManager tm = new SpaceTrustManager(ca.certificate(),
                new RevocationList(ca.crlFile(), ca.certificate()), NODES);
        Credential good = ca.issue(CertificateKind.NODE, "factory1.demo");
        X509Certificate[] chain = {good.certificate(), ca.certificate()};
        tm.checkClientTrusted(chain, "EC");

        X509Certificate user = ca.issue(CertificateKind.USER, "alice").certificate();
        CertificateException kind = assertThrows(CertificateException.class,
                () -> tm.checkClientTrusted(new X509Certificate[] {user}, "EC"));
        assertTrue(kind.getMessage().contains("not of an accepted kind (node)"), kind.getMessage());

        X509Certificate otherSpace = Pki.nodeOfSpaceSignedBy(ca, "factory1.vacuum.localdomain", "vacuum.localdomain");
        CertificateException space = assertThrows(CertificateException.class,
                () -> tm.checkClientTrusted(new X509Certificate[] {otherSpace}, "EC"));
        assertTrue(space.getMessage().contains("names space 'vacuum.localdomain', this is space 'demo'"),
                space.getMessage());

        X509Certificate self = Pki.selfSignedNode("evil.attacker.example", "demo").certificate();
        assertThrows(CertificateException.class, () -> tm.checkClientTrusted(new X509Certificate[] {self}, "EC"));

        ca.revoke(good.certificate().getSerialNumber());
        CertificateException revoked = assertThrows(CertificateException.class, () -> tm.checkClientTrusted(chain, "EC"));
        assertTrue(revoked.getMessage().contains("is revoked"), revoked.getMessage());
    }

    @Test
    void aCrlNotSignedByTheSpaceCaRefusesEveryoneRatherThanForgetRevocations() throws Exception {
        SpaceCa other = SpaceCa.init(tmp.resolve("other-pki"), "demo", Lifetimes.DEFAULT);
        java.nio.file.Files.copy(other.crlFile(), ca.crlFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SpaceTrustManager tm = new SpaceTrustManager(ca.certificate(),
                new RevocationList(ca.crlFile(), ca.certificate()), NODES);
        X509Certificate[] chain = {ca.issue(CertificateKind.NODE, "factory1.demo").certificate()};
        CertificateException e = assertThrows(CertificateException.class, () -> tm.checkClientTrusted(chain, "EC"));
        assertTrue(e.getMessage().contains("cannot check revocation"), e.getMessage());
    }

    @Test
    void aRenewedCredentialIsPresentedWithoutRebuildingTheContext() throws Exception {
        Path client = node("factory1.demo");
        CredentialKeyManager km = new CredentialKeyManager(client);
        X509Certificate before = km.certificate();

        ca.issue(CertificateKind.NODE, "factory1.demo").write(client);

        X509Certificate after = km.certificate();
        assertFalse(before.equals(after));
        assertEquals(PemFiles.readCertificate(client.resolve(Credential.CERT)), after);
        String alias = km.chooseClientAlias(new String[] {"EC"}, null, null);
        assertTrue(KeyPairs.matches(km.getPrivateKey(alias), km.getCertificateChain(alias)[0].getPublicKey()));
        assertEquals(ca.certificate(), km.getCertificateChain(alias)[1], "the chain ends with the space CA");

        SSLContext renewed = nodeContext(client);
        assertTrue(connect(nodeContext(serverDir), true, renewed, true).accepted());
    }

    @Test
    void aJoiningNodeTrustsTheServerOnlyIfItsCaHasThePinnedFingerprint() throws Exception {
        PinnedCaTrustManager pin = new PinnedCaTrustManager(ca.fingerprint());
        assertTrue(connect(nodeContext(serverDir), false, TlsContexts.pinnedTo(pin), true).accepted());
        assertEquals(ca.certificate(), pin.ca().orElseThrow());

        SpaceCa other = SpaceCa.init(tmp.resolve("other-pki"), "demo", Lifetimes.DEFAULT);
        PinnedCaTrustManager wrong = new PinnedCaTrustManager(other.fingerprint());
        Outcome o = connect(nodeContext(serverDir), false, TlsContexts.pinnedTo(wrong), true);
        assertFalse(o.clientAccepted(), o.toString());
        assertTrue(o.clientError().contains("the join token expects " + other.fingerprint()), o.clientError());
        assertTrue(wrong.ca().isEmpty());
    }
}
