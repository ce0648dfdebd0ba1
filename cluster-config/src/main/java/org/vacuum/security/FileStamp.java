package org.vacuum.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What tells one version of a file from the next without reading it: its file key (inode), size
 * and modification time. Every state file here is replaced by rename, which gives it a new inode,
 * so a rewrite is always seen even within the file system's timestamp resolution. A missing file
 * has the stamp {@link #MISSING}. Readers that cache a parsed file compare stamps before each use.
 */
public record FileStamp(Object fileKey, long size, long modifiedMillis) {

    public static final FileStamp MISSING = new FileStamp(null, -1, -1);

    public static FileStamp of(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileStamp(a.fileKey(), a.size(), a.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            return MISSING;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the attributes of " + file + ": " + e.getMessage(), e);
        }
    }
}
