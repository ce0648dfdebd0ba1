package org.vacuum.config.vac;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

/** A clock tests move by hand, and a real HTTP server on a free loopback port serving one pipe. */
final class PipeTestSupport {

  private PipeTestSupport() {}

  static final class ManualClock extends Clock {
    private volatile Instant now = Instant.ofEpochSecond(Instant.now().getEpochSecond());

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  /** Serves {@link #body} with {@link #status} at {@code /lhcb.pipe}, counting requests. */
  static final class PipeServer implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger requests = new AtomicInteger();
    volatile String body = "{}";
    volatile int status = 200;

    PipeServer() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/lhcb.pipe", exchange -> {
        requests.incrementAndGet();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/lhcb.pipe";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
