package org.vacuum.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Mutual exclusion for a read-modify-write of a state file, between the threads of this JVM and
 * between processes (a node and {@code vacuum ca ...} run as root on the same host). The lock is
 * a sibling file {@code .NAME.lock} (0600) locked with {@link FileChannel#lock()}; an in-JVM lock
 * per path comes first because file locks are held per process, not per thread. A missing
 * directory is created 0700. Not reentrant: {@code body} must not lock the same file again.
 */
public final class FileLocks {

    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();

    private FileLocks() {}

    /** Runs {@code body} holding the lock of {@code file} and returns its result. */
    public static <T> T withLock(Path file, Supplier<T> body) {
        Path abs = file.toAbsolutePath().normalize();
        Path lockFile = abs.resolveSibling("." + abs.getFileName() + ".lock");
        if (!java.nio.file.Files.isDirectory(abs.getParent())) {
            FileModes.privateDir(abs.getParent()); // a state file's directory is private (STATE_DIR/pki)
        }
        ReentrantLock local = LOCAL.computeIfAbsent(abs, p -> new ReentrantLock());
        local.lock();
        try (FileChannel ch = open(lockFile); FileLock ignored = ch.lock()) {
            return body.get();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        } finally {
            local.unlock();
        }
    }

    private static FileChannel open(Path lockFile) throws IOException {
        try {
            return FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(FileModes.FILE_0600));
        } catch (UnsupportedOperationException e) {
            return FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
    }
}
