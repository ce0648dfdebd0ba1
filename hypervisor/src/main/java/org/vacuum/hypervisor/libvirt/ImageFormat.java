package org.vacuum.hypervisor.libvirt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The format of a root image, read from its header: {@code qcow2} (magic {@code QFI\xfb}, virtual
 * size at byte 24) or else {@code raw} (virtual size = file size). The overlay on it must name the
 * backing format, since libvirt and QEMU no longer guess it, and must be as large as the image.
 */
record ImageFormat(String format, long virtualSize) {

  private static final int QCOW_MAGIC = 0x514649fb;

  static ImageFormat probe(Path image) throws IOException {
    byte[] header = new byte[32];
    int read;
    try (InputStream in = Files.newInputStream(image)) {
      read = in.readNBytes(header, 0, header.length);
    }
    ByteBuffer buf = ByteBuffer.wrap(header);
    if (read == header.length && buf.getInt(0) == QCOW_MAGIC) {
      return new ImageFormat("qcow2", buf.getLong(24));
    }
    return new ImageFormat("raw", Files.size(image));
  }
}
