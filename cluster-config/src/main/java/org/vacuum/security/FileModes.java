package org.vacuum.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.vacuum.security.pki.Credential;
import org.vacuum.security.pki.SpaceCa;
import org.vacuum.security.secret.SecretBox;
import org.vacuum.security.token.ApiTokens;
import org.vacuum.security.token.JoinTokens;

/**
 * File modes for everything the security code writes, and the start-up check of a state directory.
 *
 * <p>Contract: {@link #privateDir} leaves a directory at exactly 0700 (tightening an existing one);
 * {@link #writePrivate} and {@link #writePublic} replace a file atomically (a temporary file in the
 * same directory, created with its final mode, then renamed over the target), so a reader sees
 * either the old or the new content and a private file is never readable by others, not even
 * while it is being written. {@link #check} only reads: it returns one warning line per file or
 * directory looser than it should be and changes nothing. On a file system without POSIX modes
 * the writers still write and {@link #check} returns a single line saying it could not check.
 */
public final class FileModes {

    public static final Set<PosixFilePermission> DIR_0700 = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE_0600 = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> FILE_0644 = PosixFilePermissions.fromString("rw-r--r--");

    /** File names that hold private material wherever they appear (keys, token hashes, data keys). */
    public static final Set<String> PRIVATE_NAMES = Set.of(Credential.KEY, SpaceCa.CA_KEY,
            SecretBox.FILE, JoinTokens.FILE, ApiTokens.FILE);

    private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Set<PosixFilePermission> GROUP_OTHER_WRITE =
            EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private FileModes() {}

    /** Creates {@code dir} (and missing parents, with default modes) and sets it to 0700. */
    public static Path privateDir(Path dir) {
        try {
            Files.createDirectories(dir);
            setModes(dir, DIR_0700);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create private directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Atomically replaces {@code file} with {@code content}, mode 0600. */
    public static void writePrivate(Path file, byte[] content) {
        writeAtomically(file, content, FILE_0600);
    }

    /** Atomically replaces {@code file} with {@code content}, mode 0644 (certificates, CRLs). */
    public static void writePublic(Path file, byte[] content) {
        writeAtomically(file, content, FILE_0644);
    }

    public static void writePrivate(Path file, String content) {
        writePrivate(file, content.getBytes(StandardCharsets.UTF_8));
    }

    public static void writePublic(Path file, String content) {
        writePublic(file, content.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeAtomically(Path file, byte[] content, Set<PosixFilePermission> modes) {
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid()
                + "-" + Thread.currentThread().getId());
        try {
            Files.deleteIfExists(tmp);
            if (posix(target.getParent())) {
                // Created with its final mode so the content is never readable by others, even briefly.
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(modes));
                setModes(tmp, modes); // the umask may have removed bits (0644 under umask 077)
            } else {
                Files.createFile(tmp);
            }
            Files.write(tmp, content, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.SYNC);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileAlreadyExistsException e) {
            throw new UncheckedIOException("cannot write " + file + ": temporary file " + tmp + " is in the way", e);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is the one to report
            }
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file's POSIX modes, or {@code null} on a file system without them. */
    public static Set<PosixFilePermission> modes(Path path) {
        try {
            PosixFileAttributeView view =
                    Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            return view == null ? null : view.readAttributes().permissions();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the mode of " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * One warning line per entry under {@code stateDir} (itself included, symbolic links not
     * followed) that is looser than it should be: the state directory itself must be 0700; no
     * directory below it may be writable by group or others; private files ({@link #PRIVATE_NAMES},
     * and any {@code .pem} holding a private key) must be 0600 or tighter; no other file may be
     * writable by group or others. Directories that libvirt must read may be 0755 and are not
     * reported. An empty list means nothing to warn about.
     */
    public static List<String> check(Path stateDir) {
        List<String> warnings = new ArrayList<>();
        if (!Files.isDirectory(stateDir)) {
            warnings.add(stateDir + ": missing or not a directory");
            return warnings;
        }
        if (!posix(stateDir)) {
            warnings.add(stateDir + ": file system has no POSIX modes; file permissions were not checked");
            return warnings;
        }
        try {
            Files.walkFileTree(stateDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    Set<PosixFilePermission> m = modes(dir);
                    if (dir.equals(stateDir) && !disjoint(m, GROUP_OTHER)) {
                        warnings.add(line(dir, m, "the state directory should be 0700"));
                    } else if (!dir.equals(stateDir) && !disjoint(m, GROUP_OTHER_WRITE)) {
                        warnings.add(line(dir, m, "a directory writable by group or others; should be 0700"));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (!attrs.isRegularFile()) {
                        return FileVisitResult.CONTINUE;
                    }
                    Set<PosixFilePermission> m = modes(file);
                    if (isPrivate(file) && !disjoint(m, GROUP_OTHER)) {
                        warnings.add(line(file, m, "private key material should be 0600"));
                    } else if (!disjoint(m, GROUP_OTHER_WRITE)) {
                        warnings.add(line(file, m, "writable by group or others; should be at most 0644"));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    warnings.add(file + ": cannot be read to check its mode (" + e.getMessage() + ")");
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            warnings.add(stateDir + ": cannot walk to check modes (" + e.getMessage() + ")");
        }
        return warnings;
    }

    private static String line(Path p, Set<PosixFilePermission> m, String why) {
        return p + " is " + PosixFilePermissions.toString(m) + ": " + why;
    }

    private static boolean isPrivate(Path file) {
        String name = file.getFileName().toString();
        if (PRIVATE_NAMES.contains(name) || name.endsWith(".key")) {
            return true;
        }
        if (!name.endsWith(".pem")) {
            return false;
        }
        // A PEM's first line says what it holds; read only that much.
        try (InputStream in = Files.newInputStream(file)) {
            String head = new String(in.readNBytes(64), StandardCharsets.US_ASCII);
            return head.contains("PRIVATE KEY");
        } catch (IOException e) {
            return true; // unreadable to us: judge it by its mode as if private
        }
    }

    private static boolean disjoint(Set<PosixFilePermission> a, Set<PosixFilePermission> b) {
        for (PosixFilePermission p : b) {
            if (a.contains(p)) {
                return false;
            }
        }
        return true;
    }

    private static boolean posix(Path anyPathOnTheFileSystem) {
        return anyPathOnTheFileSystem.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static void setModes(Path path, Set<PosixFilePermission> modes) throws IOException {
        if (posix(path)) {
            Files.setPosixFilePermissions(path, modes);
        }
    }
}
