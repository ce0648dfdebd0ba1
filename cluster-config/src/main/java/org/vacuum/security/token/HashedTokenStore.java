package org.vacuum.security.token;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.vacuum.security.FileLocks;
import org.vacuum.security.FileModes;
import org.vacuum.security.FileStamp;

/**
 * A file of tokens kept by the hash of their secret only: what join tokens and API tokens share.
 * A token is an id (16 hex digits, not secret: it names the token in lists and logs) and a secret
 * (256 random bits, base64url); the file (0600, replaced atomically, changes serialised by
 * {@link FileLocks}) holds the id, SHA-256 of {@code id:secret}, the subject the token speaks for,
 * its creation and expiry times and its state. The secret itself is never stored or logged.
 *
 * <p>{@link #check} compares hashes in constant time and reports the one reason a token is not
 * good now, with the secret checked before anything about the token's state is revealed. It reads
 * the file again only when it changed. {@link #consume} is check-and-mark-used in one locked
 * step, so two concurrent uses of a token cannot both succeed; a refused token changes nothing.
 */
public final class HashedTokenStore {

    public enum State { ACTIVE, USED, REVOKED }

    /** One stored token; {@code endedAt} is when it was used or revoked. */
    public record Entry(String id, String hash, String subject, Instant created, Instant expires, State state,
                        Optional<Instant> endedAt) {

        Entry ended(State s, Instant when) {
            return new Entry(id, hash, subject, created, expires, s, Optional.of(when));
        }
    }

    /** A token just made: its id and its secret, which exists nowhere else once this is dropped. */
    public record Issued(Entry entry, String secret) {}

    /** Why a presented token is not good now, or {@link #GOOD}. */
    public enum Verdict { GOOD, UNKNOWN, WRONG_SECRET, USED, REVOKED, EXPIRED }

    public record Check(Verdict verdict, Optional<Entry> entry) {}

    private record Snapshot(FileStamp stamp, List<Entry> entries) {}

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final Path file;
    private volatile Snapshot cached;

    public HashedTokenStore(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Stores a new token for {@code subject} valid for {@code ttl} from {@code now}. */
    public Issued issue(String subject, Duration ttl, Instant now) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a token lifetime must be positive, got " + ttl);
        }
        if (subject.isEmpty() || subject.chars().anyMatch(c -> c == '\t' || c == '\n' || c == '\r')) {
            throw new IllegalArgumentException("token subject must be non-empty, without tabs or line breaks");
        }
        byte[] idBytes = new byte[8];
        byte[] secretBytes = new byte[32];
        RANDOM.nextBytes(idBytes);
        RANDOM.nextBytes(secretBytes);
        String id = HexFormat.of().formatHex(idBytes);
        String secret = B64.encodeToString(secretBytes);
        Entry e = new Entry(id, hash(id, secret), subject, now, now.plus(ttl), State.ACTIVE, Optional.empty());
        update(entries -> {
            List<Entry> next = new ArrayList<>(entries);
            next.add(e);
            return next;
        });
        return new Issued(e, secret);
    }

    public List<Entry> list() {
        return read();
    }

    public Optional<Entry> find(String id) {
        return read().stream().filter(e -> e.id().equals(id)).findFirst();
    }

    /** Whether the token {@code id}/{@code secret} is good at {@code now}; changes nothing. */
    public Check check(String id, String secret, Instant now) {
        return judge(read(), id, secret, now);
    }

    /** Like {@link #check}, and if good marks the token used, atomically with the check. */
    public Check consume(String id, String secret, Instant now) {
        return FileLocks.withLock(file, () -> {
            List<Entry> entries = readFile();
            Check c = judge(entries, id, secret, now);
            if (c.verdict() == Verdict.GOOD) {
                write(replace(entries, c.entry().get().ended(State.USED, now)));
            }
            return c;
        });
    }

    /** Revokes token {@code id}; false if there is none or it is no longer active. */
    public boolean revoke(String id, Instant now) {
        return FileLocks.withLock(file, () -> {
            List<Entry> entries = readFile();
            Optional<Entry> e = entries.stream().filter(x -> x.id().equals(id)).findFirst();
            if (e.isEmpty() || e.get().state() != State.ACTIVE) {
                return false;
            }
            write(replace(entries, e.get().ended(State.REVOKED, now)));
            return true;
        });
    }

    private static Check judge(List<Entry> entries, String id, String secret, Instant now) {
        Optional<Entry> found = entries.stream().filter(x -> x.id().equals(id)).findFirst();
        if (found.isEmpty()) {
            return new Check(Verdict.UNKNOWN, Optional.empty());
        }
        Entry e = found.get();
        boolean same = MessageDigest.isEqual(HexFormat.of().parseHex(e.hash()),
                HexFormat.of().parseHex(hash(id, secret)));
        Verdict v = !same ? Verdict.WRONG_SECRET
                : e.state() == State.USED ? Verdict.USED
                : e.state() == State.REVOKED ? Verdict.REVOKED
                : !now.isBefore(e.expires()) ? Verdict.EXPIRED
                : Verdict.GOOD;
        return new Check(v, found);
    }

    private void update(Function<List<Entry>, List<Entry>> change) {
        FileLocks.withLock(file, () -> {
            write(change.apply(readFile()));
            return null;
        });
    }

    private static List<Entry> replace(List<Entry> entries, Entry changed) {
        List<Entry> next = new ArrayList<>(entries);
        next.replaceAll(e -> e.id().equals(changed.id()) ? changed : e);
        return next;
    }

    private List<Entry> read() {
        FileStamp stamp = FileStamp.of(file);
        Snapshot s = cached;
        if (s != null && s.stamp().equals(stamp)) {
            return s.entries();
        }
        List<Entry> entries = readFile();
        cached = new Snapshot(stamp, entries);
        return entries;
    }

    private List<Entry> readFile() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new IllegalStateException(file + ": cannot read the token store: " + e.getMessage(), e);
        }
        List<Entry> out = new ArrayList<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                if (f.length != 7) {
                    throw new IllegalArgumentException("expected 7 tab-separated fields, found " + f.length);
                }
                out.add(new Entry(f[0], f[1], f[2], Instant.parse(f[3]), Instant.parse(f[4]), State.valueOf(f[5]),
                        f[6].equals("-") ? Optional.empty() : Optional.of(Instant.parse(f[6]))));
            } catch (RuntimeException e) {
                throw new IllegalStateException(file + ":" + n + ": bad token line: " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    private void write(List<Entry> entries) {
        StringBuilder s = new StringBuilder("# id\tsha256(id:secret)\tsubject\tcreated\texpires\tstate\tended\n");
        for (Entry e : entries) {
            s.append(e.id()).append('\t').append(e.hash()).append('\t').append(e.subject()).append('\t')
                    .append(e.created()).append('\t').append(e.expires()).append('\t').append(e.state()).append('\t')
                    .append(e.endedAt().map(Instant::toString).orElse("-")).append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            FileModes.privateDir(dir);
        }
        FileModes.writePrivate(file, s.toString());
    }

    static String hash(String id, String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((id + ":" + secret).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
