package org.vacuum.security.pki;

import java.net.Socket;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.vacuum.security.FileStamp;

/**
 * Presents the credential in a directory ({@link Credential}: {@code key.pem}, {@code cert.pem},
 * {@code ca.pem}) to TLS peers, and picks up a renewed one without a restart: before each
 * handshake it compares the files' identity (inode, size, modification time) with what it loaded
 * and reloads if they changed. The chain sent is the certificate followed by the CA.
 *
 * <p>Contract: construction fails with a {@link PkiException} if the credential cannot be read.
 * Afterwards a reload that fails (a file half-replaced, a key that does not match the
 * certificate while a renewal is being written) keeps the previous credential and is retried at
 * the next handshake. Each loaded credential has its own alias, and the last few stay
 * resolvable, so a handshake that chose an alias before a reload still gets a matching key and
 * chain.
 */
public final class CredentialKeyManager extends X509ExtendedKeyManager {

    private record Loaded(String alias, List<FileStamp> stamp, PrivateKey key, X509Certificate[] chain) {}

    private static final int KEEP = 4;

    private final Path dir;
    private final ConcurrentHashMap<String, Loaded> byAlias = new ConcurrentHashMap<>();
    private volatile Loaded current;
    private int generation;

    public CredentialKeyManager(Path dir) {
        this.dir = dir;
        current = load(stamp());
        byAlias.put(current.alias(), current);
    }

    /** The certificate presented now (after reloading if the files changed). */
    public X509Certificate certificate() {
        return fresh().chain()[0];
    }

    private Loaded fresh() {
        List<FileStamp> stamp;
        try {
            stamp = stamp();
        } catch (PkiException e) {
            return current; // files being replaced; keep presenting the last good credential
        }
        Loaded c = current;
        if (Objects.equals(c.stamp(), stamp)) {
            return c;
        }
        synchronized (this) {
            if (!Objects.equals(current.stamp(), stamp)) {
                try {
                    Loaded next = load(stamp);
                    byAlias.put(next.alias(), next);
                    byAlias.remove("vacuum-" + (generation - KEEP));
                    current = next;
                } catch (PkiException e) {
                    return current;
                }
            }
            return current;
        }
    }

    private Loaded load(List<FileStamp> stamp) {
        Credential c = Credential.read(dir);
        List<X509Certificate> chain = new ArrayList<>(PemFiles.readCertificates(dir.resolve(Credential.CERT)));
        if (!chain.contains(c.ca())) {
            chain.add(c.ca());
        }
        generation++;
        return new Loaded("vacuum-" + generation, stamp, c.key(), chain.toArray(X509Certificate[]::new));
    }

    private List<FileStamp> stamp() {
        List<FileStamp> s = new ArrayList<>();
        for (String name : List.of(Credential.KEY, Credential.CERT, Credential.CA)) {
            Path f = dir.resolve(name);
            try {
                s.add(FileStamp.of(f));
            } catch (java.io.UncheckedIOException e) {
                throw new PkiException(f + ": cannot read: " + e.getMessage(), e);
            }
        }
        return s;
    }

    private String[] aliasFor(String keyType) {
        Loaded c = fresh();
        return keyType == null || keyType.equals(c.key().getAlgorithm()) ? new String[] {c.alias()} : null;
    }

    private String choose(String[] keyTypes) {
        if (keyTypes == null) {
            return null;
        }
        for (String t : keyTypes) {
            String[] a = aliasFor(t);
            if (a != null) {
                return a[0];
            }
        }
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return choose(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return choose(keyTypes);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(new String[] {keyType});
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(new String[] {keyType});
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Loaded c = byAlias.get(alias);
        return c == null ? null : c.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Loaded c = byAlias.get(alias);
        return c == null ? null : c.key();
    }
}
