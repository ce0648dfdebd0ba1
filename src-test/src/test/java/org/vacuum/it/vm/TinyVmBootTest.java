package org.vacuum.it.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The real-VM kit end to end, without vacuum's own classes: a plain HTTP server stands in for the
 * MJF server, and the tiny guest, booted by QEMU (TCG) through libvirt from a qcow2 overlay on the
 * raw image with user-mode networking, reads its wall limit, reports {@code 200 Success} and
 * powers off, so that its transient domain disappears.
 */
class TinyVmBootTest {

  private static final long PUT_DEADLINE_MS = 120_000;
  private static final long GONE_DEADLINE_MS = 60_000;

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void guestReadsItsWallLimitReportsSuccessAndPowersOff(@TempDir Path dir) throws Exception {
    Optional<String> skip = TinyVm.skipReason();
    if (skip.isPresent()) {
      System.out.println("TinyVmBootTest skipped: " + skip.get());
      Assumptions.abort(skip.get());
    }

    List<String> gets = new CopyOnWriteArrayList<>();
    CompletableFuture<String> shutdownMessage = new CompletableFuture<>();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/jobfeatures/wall_limit_secs", ex -> {
      if (!ex.getRequestMethod().equals("GET")) {
        reply(ex, 405, "");
        return;
      }
      gets.add(ex.getRequestURI().getPath());
      reply(ex, 200, "3600");
    });
    server.createContext("/joboutputs/", ex -> {
      byte[] body = ex.getRequestBody().readAllBytes();
      if (!ex.getRequestMethod().equals("PUT") || !ex.getRequestURI().getPath().equals("/joboutputs/shutdown_message")) {
        reply(ex, 404, "");
        return;
      }
      shutdownMessage.complete(new String(body, StandardCharsets.UTF_8));
      reply(ex, 201, "");
    });
    server.start();
    Connect conn = null;
    Domain domain = null;
    int id = -1;
    Path console = dir.resolve("console.log");
    try {
      String mjf = "http://" + TinyVm.HOST_FROM_GUEST + ":" + server.getAddress().getPort();
      long t0 = System.nanoTime();
      Path image = TinyVm.buildImage(dir.resolve("image"), mjf);
      long built = System.nanoTime();
      Path overlay = dir.resolve("overlay.qcow2");
      TinyVm.createOverlay(image, overlay);

      String name = "vacuum-tinyvm-" + ProcessHandle.current().pid() + "-" + (System.nanoTime() % 100000);
      conn = new Connect(TinyVm.libvirtUri());
      long create = System.nanoTime();
      domain = conn.domainCreateXML(domainXml(name, overlay, console), 0);
      long created = System.nanoTime();
      id = domain.getID();

      String body = null;
      long deadline = created + PUT_DEADLINE_MS * 1_000_000;
      while (body == null) {
        try {
          body = shutdownMessage.get(500, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          if (!isAlive(conn, id)) {
            fail("the VM stopped without PUTting its shutdown_message; GETs " + gets + "\n" + TinyVm.consoleTail(console, 40));
          }
          if (System.nanoTime() > deadline) {
            fail("no PUT of shutdown_message within " + PUT_DEADLINE_MS / 1000 + " s of the domain's creation; GETs "
                + gets + "\n" + TinyVm.consoleTail(console, 40));
          }
        }
      }
      long put = System.nanoTime();
      assertEquals("200 Success", body, () -> "shutdown_message body\n" + TinyVm.consoleTail(console, 40));

      long goneDeadline = put + GONE_DEADLINE_MS * 1_000_000;
      while (isAlive(conn, id)) {
        if (System.nanoTime() > goneDeadline) {
          fail("the domain did not disappear within " + GONE_DEADLINE_MS / 1000 + " s of the PUT\n"
              + TinyVm.consoleTail(console, 40));
        }
        Thread.sleep(100);
      }
      long gone = System.nanoTime();
      assertTrue(gets.contains("/jobfeatures/wall_limit_secs"), "the guest GETs its wall limit: " + gets);
      assertTrue(Files.readString(console, StandardCharsets.ISO_8859_1).contains("wall_limit_secs=3600"),
          () -> "the guest printed the wall limit\n" + TinyVm.consoleTail(console, 40));

      System.out.printf("TinyVmBootTest: %s; image built in %.1f s, domain created in %.1f s, "
              + "PUT %.1f s after creation, domain gone %.1f s after creation%n",
          TinyVm.libvirtUri(), secs(t0, built), secs(create, created), secs(created, put), secs(created, gone));
    } finally {
      // Clean-up failures must not hide the test's own failure.
      try {
        if (domain != null) {
          if (isAlive(conn, id)) domain.destroy();
          domain.free();
        }
        if (conn != null) conn.close();
      } catch (LibvirtException e) {
        System.out.println("TinyVmBootTest: clean-up: " + e.getMessage());
      }
      server.stop(0);
    }
  }

  static String domainXml(String name, Path overlay, Path console) {
    return """
        <domain type='qemu'>
          <name>%s</name>
          <memory unit='MiB'>256</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
          <features><acpi/></features>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>destroy</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='%s'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <interface type='user'>
              <mac address='56:4D:A9:FE:A9:01'/>
              <model type='virtio'/>
            </interface>
            <serial type='file'>
              <source path='%s'/>
              <target port='0'/>
            </serial>
            <controller type='usb' model='none'/>
            <memballoon model='none'/>
          </devices>
        </domain>
        """.formatted(xml(name), xml(overlay.toAbsolutePath().toString()), xml(console.toAbsolutePath().toString()));
  }

  /** Whether the transient domain still runs (libvirt forgets it once it is off; ids are not reused). */
  private static boolean isAlive(Connect conn, int id) throws LibvirtException {
    for (int running : conn.listDomains()) {
      if (running == id) return true;
    }
    return false;
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain");
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) ex.getResponseBody().write(bytes);
    ex.close();
  }

  private static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;");
  }

  private static double secs(long from, long to) {
    return (to - from) / 1e9;
  }
}
