package org.vacuum.security.secret;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.vacuum.security.FileLocks;
import org.vacuum.security.FileModes;
import org.vacuum.security.FileStamp;

/**
 * Encryption of secrets at rest with the space's data keys (AES-256-GCM). The keys live in one
 * file (0600; {@code STATE_DIR/pki/data-keys}), one line per key, {@code ID<TAB>base64}; the last
 * line is the current key. An encrypted value is text:
 * {@code enc:v1:KEYID:base64(nonce ‖ ciphertext ‖ tag)}, with a fresh 96-bit nonce per value and
 * the {@code enc:v1:KEYID} prefix authenticated too, so a value cannot be moved to another key id.
 *
 * <p>Contract: {@link #encrypt} always uses the current key; {@link #decrypt} uses the key the
 * value names, so after {@link #rotate} older values still decrypt (re-encrypting them when they
 * are next written moves them to the new key). A value that was changed, cut, or names a key this
 * file does not hold is refused with a {@link SecretBoxException}. Keys are never removed here.
 * Another process's rotation is picked up when the file changes. Sharing the file between control
 * nodes is left to the caller.
 */
public final class SecretBox {

    /** The data-key file's name in {@code STATE_DIR/pki/}. */
    public static final String FILE = "data-keys";
    public static final String PREFIX = "enc:v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Keys(FileStamp stamp, LinkedHashMap<String, SecretKey> byId, String current) {}

    private final Path file;
    private volatile Keys keys;

    private SecretBox(Path file) {
        this.file = file;
        this.keys = load();
    }

    /** Opens the data keys in {@code file}, creating it with a first key if it does not exist. */
    public static SecretBox openOrCreate(Path file) {
        FileLocks.withLock(file, () -> {
            if (!Files.exists(file)) {
                write(file, List.of(newKeyLine()));
            }
            return null;
        });
        return new SecretBox(file);
    }

    /** Opens the data keys in {@code file}; a {@link SecretBoxException} if there are none. */
    public static SecretBox open(Path file) {
        if (!Files.exists(file)) {
            throw new SecretBoxException(file + ": no data-key file; secrets cannot be read or written without it");
        }
        return new SecretBox(file);
    }

    public static boolean isEncrypted(String text) {
        return text != null && text.startsWith(PREFIX);
    }

    public String currentKeyId() {
        return fresh().current();
    }

    public String encrypt(Secret secret) {
        return encrypt(secret.reveal());
    }

    public String encrypt(String clear) {
        Keys k = fresh();
        String header = PREFIX + k.current() + ":";
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, k.byId().get(k.current()), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(header.getBytes(StandardCharsets.US_ASCII));
            byte[] ct = c.doFinal(clear.getBytes(StandardCharsets.UTF_8));
            return header + Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + ct.length)
                    .put(nonce).put(ct).array());
        } catch (GeneralSecurityException e) {
            throw new SecretBoxException("cannot encrypt with data key " + k.current() + ": " + e.getMessage(), e);
        }
    }

    public Secret decryptSecret(String text) {
        return Secret.of(decrypt(text));
    }

    public String decrypt(String text) {
        if (!isEncrypted(text)) {
            throw new SecretBoxException("value is not encrypted (it does not start with " + PREFIX + ")");
        }
        int colon = text.indexOf(':', PREFIX.length());
        if (colon < 0) {
            throw new SecretBoxException("encrypted value has no key id");
        }
        String id = text.substring(PREFIX.length(), colon);
        SecretKey key = fresh().byId().get(id);
        if (key == null) {
            throw new SecretBoxException("encrypted value names data key '" + id + "', which " + file + " does not hold");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(text.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new SecretBoxException("encrypted value for data key " + id + " is not valid base64");
        }
        if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new SecretBoxException("encrypted value for data key " + id + " is too short (cut off?)");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, raw, 0, NONCE_BYTES));
            c.updateAAD(text.substring(0, colon + 1).getBytes(StandardCharsets.US_ASCII));
            return new String(c.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new SecretBoxException("encrypted value for data key " + id + " fails authentication: changed or "
                    + "damaged");
        } catch (GeneralSecurityException e) {
            throw new SecretBoxException("cannot decrypt with data key " + id + ": " + e.getMessage(), e);
        }
    }

    /** Adds a new data key and makes it current; returns its id. Older keys keep decrypting. */
    public String rotate() {
        FileLocks.withLock(file, () -> {
            List<String> lines = new ArrayList<>(readLines(file));
            lines.add(newKeyLine());
            write(file, lines);
            return null;
        });
        return fresh().current();
    }

    private Keys fresh() {
        Keys k = keys;
        if (k.stamp().equals(FileStamp.of(file))) {
            return k;
        }
        synchronized (this) {
            if (!keys.stamp().equals(FileStamp.of(file))) {
                keys = load();
            }
            return keys;
        }
    }

    private Keys load() {
        FileStamp stamp = FileStamp.of(file);
        LinkedHashMap<String, SecretKey> byId = new LinkedHashMap<>();
        String current = null;
        int n = 0;
        for (String line : readLines(file)) {
            n++;
            String[] f = line.split("\t");
            byte[] key;
            try {
                key = f.length == 2 ? Base64.getDecoder().decode(f[1]) : null;
            } catch (IllegalArgumentException e) {
                key = null;
            }
            if (key == null || key.length != 32 || !f[0].matches("[0-9a-f]{8}")) {
                throw new SecretBoxException(file + ":" + n + ": not a data key line (ID<TAB>base64 of 32 bytes)");
            }
            byId.put(f[0], new SecretKeySpec(key, "AES"));
            current = f[0];
        }
        if (current == null) {
            throw new SecretBoxException(file + ": holds no data key");
        }
        return new Keys(stamp, byId, current);
    }

    private static List<String> readLines(Path file) {
        try {
            List<String> out = new ArrayList<>();
            for (String l : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                if (!l.isBlank() && !l.startsWith("#")) {
                    out.add(l);
                }
            }
            return out;
        } catch (IOException e) {
            throw new SecretBoxException(file + ": cannot read data keys: " + e.getMessage(), e);
        }
    }

    private static void write(Path file, List<String> keyLines) {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            FileModes.privateDir(dir);
        }
        FileModes.writePrivate(file, "# space data keys (AES-256): id<TAB>base64; the last is current\n"
                + String.join("\n", keyLines) + "\n");
    }

    private static String newKeyLine() {
        byte[] id = new byte[4];
        byte[] key = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(key);
        return HexFormat.of().formatHex(id) + "\t" + Base64.getEncoder().encodeToString(key);
    }

    /** The ids of the keys held, oldest first; the last is current. */
    public List<String> keyIds() {
        return List.copyOf(new ArrayList<>(fresh().byId().keySet()));
    }

    Map<String, SecretKey> keysForTest() {
        return fresh().byId();
    }
}
