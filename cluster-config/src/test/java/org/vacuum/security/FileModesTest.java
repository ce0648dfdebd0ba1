package org.vacuum.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileModesTest {

    @TempDir
    Path tmp;

    @Test
    void privateFilesAre0600AndPublicOnes0644AndDirs0700EvenUnderALooseUmaskReplacingOldContent() throws Exception {
        Path dir = FileModes.privateDir(tmp.resolve("state/pki"));
        FileModes.writePrivate(dir.resolve("key.pem"), "one");
        FileModes.writePrivate(dir.resolve("key.pem"), "two");
        FileModes.writePublic(dir.resolve("cert.pem"), "cert");

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("key.pem"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("cert.pem"))));
        assertEquals("two", Files.readString(dir.resolve("key.pem")));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".tmp-")), "no temporary file left");
        }
    }

    @Test
    void privateDirTightensAnExistingLooseDirectory() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("loose"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        FileModes.privateDir(dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void checkWarnsOnceForEachLooseEntryAndNotAboutTightOnes() throws Exception {
        Path state = FileModes.privateDir(tmp.resolve("state"));
        Path pki = FileModes.privateDir(state.resolve("pki"));
        FileModes.writePrivate(pki.resolve("ca.key"), "-----BEGIN PRIVATE KEY-----\n");
        FileModes.writePublic(pki.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        assertEquals(List.of(), FileModes.check(state));

        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(pki.resolve("ca.key"), PosixFilePermissions.fromString("rw-r--r--"));
        Path stray = pki.resolve("other.pem");
        Files.writeString(stray, "-----BEGIN EC PRIVATE KEY-----\n");
        Files.setPosixFilePermissions(stray, PosixFilePermissions.fromString("rw-r-----"));
        Path machines = Files.createDirectory(state.resolve("machines"));
        Files.setPosixFilePermissions(machines, PosixFilePermissions.fromString("rwxr-xr-x")); // libvirt reads it
        Path log = machines.resolve("log");
        Files.writeString(log, "x");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));

        List<String> warnings = FileModes.check(state);

        assertEquals(4, warnings.size(), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith(state + " is rwxr-xr-x")), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith(pki.resolve("ca.key") + " is rw-r--r--: private")));
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith(stray + " is rw-r-----: private")));
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith(log + " is rw-rw-rw-")));
    }
}
