package org.vacuum.hypervisor.mjf;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.config.VacuumSettings;
import org.vacuum.hypervisor.machine.MachineDirectory;

/**
 * The HTTP server machines use for Machine/Job Features, cloud metadata and joboutputs
 * (reference/vac.md §4.2). One route set is served on every bound address: Vac listens on
 * 169.254.169.253:80 for MJF and 169.254.169.254:80 for metadata, and the two route sets do not
 * collide.
 *
 * <p>A request is answered for the machine its source address names: the address must start with
 * the configured prefix (Vac's {@code 169.254.169.}) and the rest must be a slot ordinal 0-99 that
 * {@link MachineLookup} knows. There is no other authentication, as in Vac. A GET from an unknown
 * address gets 404, a PUT 403.
 *
 * <p>Routes, after runs of {@code /} are folded to one:
 * <ul>
 *   <li>{@code GET /machinefeatures[/]}, {@code /jobfeatures[/]}: an HTML {@code <ul>} of links to
 *       the keys; {@code GET /machinefeatures/<key>}: the raw value. A path containing {@code /../}
 *       or deeper than one key gets 404, and so does any GET of {@code /joboutputs}.
 *   <li>{@code PUT /joboutputs/<name>} with a Content-Length: the body replaces {@code
 *       joboutputs/<name>} atomically, the {@link JoboutputListener} is told, the answer is 201. A
 *       body over {@link Limits#maxJoboutputFile} or one that would take the machine's joboutputs
 *       files together over {@link Limits#maxJoboutputsPerMachine} is answered 413 naming the
 *       limit, before any of it is read, and so is a new name beyond {@value #MAX_JOBOUTPUT_FILES}
 *       files; a body that stalls gets 408. A refused or failed PUT
 *       writes nothing and leaves an earlier file of that name as it was. Anything else wrong is
 *       403. {@code Expect: 100-continue} is honoured, so a client that asks learns of a 413
 *       before it sends the body.
 *   <li>{@code GET /<YYYY-MM-DD>/...} ({@code /latest/} counts as a date): {@code user-data} and
 *       {@code openstack/<date>/user-data} (the user_data file), {@code meta-data.json} and {@code
 *       openstack/<date>/meta-data.json}, {@code meta-data} and {@code meta-data/} (a fixed listing,
 *       also under {@code openstack/}), {@code meta-data/public-keys/0/openssh-key}, {@code
 *       meta-data/ami-id} and {@code meta-data/instance-id} (the uuid). Without a root public key
 *       file the JSON has no {@code public_keys} and the key route is 404, as in Vac.
 *   <li>Anything else: 404; methods other than GET and PUT: 405.
 * </ul>
 * Bodies are text/html if they start with {@code <html>}, application/json for the JSON route,
 * else text/plain. The Server header says {@code vacuum mjf server} for the MJF routes and {@code
 * vacuum metadata server} for the rest.
 *
 * <p>The server reads the machine's directory at every request and caches nothing, so features
 * rewritten on disk are served at once.
 *
 * <p>Slow or hostile clients tie up only their own connection. Each connection has its own thread
 * and carries one request (the answer says {@code Connection: close}). Every read waits at most
 * {@link Limits#readTimeout}, the request head (line and headers, at most 16 KiB) must be complete
 * within that time too, and writing the answer is given that long; a client that stalls is answered
 * 408 where possible and closed. At most {@link Limits#maxConnections} connections are open at
 * once, at most {@link Limits#maxConnectionsPerMachine} from one source address; one more is
 * answered 503 and closed at once. So threads, time and disk stay bounded whatever machines send.
 */
public final class MjfServer implements AutoCloseable {

  static final String MJF_SERVER = "vacuum mjf server";
  static final String METADATA_SERVER = "vacuum metadata server";
  static final String METADATA_LISTING = "public-keys/0/openssh-key\nami-id\ninstance-id\n";

  private static final Logger log = LoggerFactory.getLogger(MjfServer.class);
  private static final int BACKLOG = 256;
  // Vac's requests have a handful of short headers; 16 KiB is ample and bounds what one head costs.
  private static final int MAX_HEAD_BYTES = 16 * 1024;
  // After a refused body, so the client sees the answer rather than a reset: read this much at most.
  private static final int DRAIN_BYTES = 64 * 1024;
  private static final Duration DRAIN_TIME = Duration.ofSeconds(1);
  private static final Duration REFUSAL_CLOSE_DELAY = Duration.ofMillis(500);
  // Empty files cost no bytes but an inode each; Vac's machines write a handful of joboutputs.
  static final int MAX_JOBOUTPUT_FILES = 1000;
  // Refused connections are logged at most this often, so a client that keeps trying cannot flood the log.
  private static final long REFUSAL_LOG_NANOS = Duration.ofSeconds(10).toNanos();
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH);

  private static final String DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
  private static final Pattern USER_DATA = Pattern.compile("/(openstack/)?" + DATE + "/user-data");
  private static final Pattern META_DATA_JSON = Pattern.compile("/(openstack/)?" + DATE + "/meta-data\\.json");
  // Without the slash too: Cloud-Init 0.7.5 asks for the listing that way.
  private static final Pattern META_DATA_LISTING = Pattern.compile("/(openstack/)?" + DATE + "/meta-data/?");
  private static final Pattern OPENSSH_KEY = Pattern.compile("/" + DATE + "/meta-data/public-keys/0/openssh-key");
  private static final Pattern INSTANCE_ID = Pattern.compile("/" + DATE + "/meta-data/(ami-id|instance-id)");
  private static final Pattern ORDINAL = Pattern.compile("[0-9]{1,2}");

  private static final Reply NOT_FOUND = Reply.text(404, "not found\n");
  private static final Reply FORBIDDEN = Reply.text(403, "forbidden\n");
  private static final Reply CREATED = new Reply(201, new byte[0], null);

  /**
   * What one client or machine may take of the server.
   *
   * @param readTimeout longest wait for a request's next bytes, for its whole head, and for its
   *     answer to be written
   * @param maxConnections connections open at once over all clients (each has a thread)
   * @param maxConnectionsPerMachine connections open at once from one source address
   * @param maxJoboutputFile largest joboutputs file one PUT may write, in bytes
   * @param maxJoboutputsPerMachine largest total of one machine's joboutputs files, in bytes
   */
  public record Limits(
      Duration readTimeout,
      int maxConnections,
      int maxConnectionsPerMachine,
      long maxJoboutputFile,
      long maxJoboutputsPerMachine) {

    /** The defaults of {@code vacuum.mjf.*} in reference.conf. */
    public static final Limits DEFAULTS = new Limits(Duration.ofSeconds(10), 256, 16, 100L << 20, 1L << 30);

    public Limits {
      if (readTimeout.isNegative() || readTimeout.isZero() || readTimeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("MJF read timeout " + readTimeout + " must be positive and under 24 days");
      }
      if (maxConnections < 1 || maxConnectionsPerMachine < 1) {
        throw new IllegalArgumentException("MJF connection limits " + maxConnections + " and "
            + maxConnectionsPerMachine + " must be at least 1");
      }
      if (maxJoboutputFile < 1 || maxJoboutputsPerMachine < 1) {
        throw new IllegalArgumentException("MJF joboutputs limits " + maxJoboutputFile + " and "
            + maxJoboutputsPerMachine + " bytes must be at least 1");
      }
    }

    /** The limits a node's {@code vacuum.mjf} settings give. */
    public static Limits of(VacuumSettings.Mjf mjf) {
      return new Limits(mjf.readTimeout(), mjf.maxConnections(), mjf.maxConnectionsPerMachine(), mjf.maxJoboutputFile(),
          mjf.maxJoboutputsPerMachine());
    }
  }

  private final List<ServerSocket> listeners = new ArrayList<>();
  private final ThreadPoolExecutor connections;
  private final ScheduledThreadPoolExecutor watchdog;
  private final Limits limits;
  private final String addressPrefix;
  private final String guestUrl;
  private final MachineLookup lookup;
  private final JoboutputListener listener;
  private final ObjectMapper json = new ObjectMapper();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  // Guarded by itself: open connections per source address, and their total.
  private final Map<InetAddress, Integer> openPerAddress = new HashMap<>();
  private int openTotal;
  private final AtomicInteger refusalsClosing = new AtomicInteger();
  private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_NANOS);
  // Guarded by itself: bytes of joboutputs PUTs being written now, per machine name.
  private final Map<String, Long> reserved = new HashMap<>();
  private volatile Instant lastMjfRequest;
  private volatile Instant lastMetadataRequest;

  private MjfServer(
      Limits limits, String addressPrefix, String guestUrl, MachineLookup lookup, JoboutputListener listener) {
    this.limits = limits;
    this.addressPrefix = addressPrefix;
    this.guestUrl = guestUrl.endsWith("/") ? guestUrl.substring(0, guestUrl.length() - 1) : guestUrl;
    this.lookup = lookup;
    this.listener = listener;
    AtomicInteger threadNumber = new AtomicInteger();
    // No queue: a connection admitted under the limits gets a thread at once. The limits, not the
    // pool, bound the threads; idle threads end after a minute.
    this.connections = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
        daemon(() -> "mjf-connection-" + threadNumber.incrementAndGet()));
    this.watchdog = new ScheduledThreadPoolExecutor(1, daemon(() -> "mjf-watchdog"));
    this.watchdog.setRemoveOnCancelPolicy(true);
  }

  /** {@link #start(List, String, String, MachineLookup, JoboutputListener, Limits)} with {@link Limits#DEFAULTS}. */
  public static MjfServer start(
      List<InetSocketAddress> binds,
      String addressPrefix,
      String guestUrl,
      MachineLookup lookup,
      JoboutputListener listener) throws IOException {
    return start(binds, addressPrefix, guestUrl, lookup, listener, Limits.DEFAULTS);
  }

  /**
   * Binds every address and starts serving. If one address cannot be bound, the others are released
   * and the error names the address.
   *
   * @param addressPrefix what a machine's source address starts with, ending in {@code .} (Vac's
   *     {@code 169.254.169.}); the rest of the address is the slot ordinal
   * @param guestUrl how machines reach this server, e.g. {@code http://169.254.169.253}, for the
   *     URLs in meta-data.json
   * @param limits what one client or machine may take of the server
   */
  public static MjfServer start(
      List<InetSocketAddress> binds,
      String addressPrefix,
      String guestUrl,
      MachineLookup lookup,
      JoboutputListener listener,
      Limits limits) throws IOException {
    if (binds.isEmpty()) {
      throw new IllegalArgumentException("the MJF server needs at least one address to listen on");
    }
    if (!addressPrefix.endsWith(".")) {
      throw new IllegalArgumentException(
          "MJF address prefix '" + addressPrefix + "' must end with '.' (the slot ordinal follows it)");
    }
    MjfServer server = new MjfServer(limits, addressPrefix, guestUrl, lookup, listener);
    for (InetSocketAddress bind : binds) {
      ServerSocket socket = new ServerSocket();
      try {
        socket.setReuseAddress(true);
        socket.bind(bind, BACKLOG);
      } catch (IOException e) {
        socket.close();
        server.close();
        throw new IOException("the MJF server cannot listen on " + bind.getHostString() + ":" + bind.getPort() + ": " + e, e);
      }
      server.listeners.add(socket);
    }
    for (ServerSocket socket : server.listeners) {
      Thread acceptor = new Thread(() -> server.accept(socket), "mjf-accept-" + socket.getLocalPort());
      acceptor.setDaemon(true);
      acceptor.start();
    }
    log.info("MJF and metadata server listening on {} for machines at {}* ({})", server.addresses(), addressPrefix,
        limits);
    return server;
  }

  /** The bound addresses, with the real port where port 0 was asked for. */
  public List<InetSocketAddress> addresses() {
    return listeners.stream().map(s -> new InetSocketAddress(s.getInetAddress(), s.getLocalPort())).toList();
  }

  /** When an MJF or joboutputs request last arrived (Vac's mjf heartbeat); empty before the first. */
  public Optional<Instant> lastMjfRequest() {
    return Optional.ofNullable(lastMjfRequest);
  }

  /** When a metadata request last arrived (Vac's metadata heartbeat); empty before the first. */
  public Optional<Instant> lastMetadataRequest() {
    return Optional.ofNullable(lastMetadataRequest);
  }

  /** Stops listening at once and drops requests in flight (a PUT in flight writes nothing). Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (ServerSocket socket : listeners) {
      closeQuietly(socket);
    }
    for (Socket socket : open) {
      closeQuietly(socket);
    }
    connections.shutdownNow();
    watchdog.shutdownNow();
  }

  private record Reply(int code, byte[] body, String contentType, Map<String, String> headers) {
    Reply(int code, byte[] body, String contentType) {
      this(code, body, contentType, Map.of());
    }

    static Reply text(int code, String body) {
      return new Reply(code, body.getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    /** Vac's rule: HTML if the body says so, else plain text. */
    static Reply ok(byte[] body) {
      boolean html = body.length >= 6 && new String(body, 0, 6, StandardCharsets.ISO_8859_1).equals("<html>");
      return new Reply(200, body, html ? "text/html" : "text/plain");
    }
  }

  /** One request's line and headers (names in lower case; a repeated header keeps its first value). */
  private record Request(String method, String target, Map<String, String> headers, InetSocketAddress remote) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** A request the server answers without going further: malformed, too big, or too slow. */
  private static final class Refused extends Exception {
    final int code;

    Refused(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  private void accept(ServerSocket listener) {
    while (!closed.get()) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          log.warn("MJF server: accepting on port {} failed: {}", listener.getLocalPort(), e.toString());
        }
        // A closed listener ends the loop; other accept errors (out of descriptors) are retried.
        if (listener.isClosed()) {
          return;
        }
        continue;
      }
      InetAddress from = socket.getInetAddress();
      String full = admit(from);
      if (full != null) {
        refuseAtOnce(socket, full);
        continue;
      }
      open.add(socket);
      try {
        connections.execute(() -> serve(socket));
      } catch (RejectedExecutionException e) {
        // Only after close().
        release(socket);
        closeQuietly(socket);
      }
    }
  }

  /** Counts the connection in, or says which limit it would pass. */
  private String admit(InetAddress from) {
    synchronized (openPerAddress) {
      if (openTotal >= limits.maxConnections()) {
        return "too many connections: " + limits.maxConnections() + " are open (vacuum.mjf.max-connections)";
      }
      int fromThere = openPerAddress.getOrDefault(from, 0);
      if (fromThere >= limits.maxConnectionsPerMachine()) {
        return "too many connections from " + from.getHostAddress() + ": " + limits.maxConnectionsPerMachine()
            + " are open (vacuum.mjf.max-connections-per-machine)";
      }
      openPerAddress.put(from, fromThere + 1);
      openTotal++;
      return null;
    }
  }

  private void release(Socket socket) {
    open.remove(socket);
    synchronized (openPerAddress) {
      openPerAddress.computeIfPresent(socket.getInetAddress(), (a, n) -> n <= 1 ? null : n - 1);
      openTotal--;
    }
  }

  /**
   * Answers 503 without a thread of the connection's own. A fresh socket's send buffer takes a
   * short answer whole, so the write cannot block the acceptor. The socket is closed a moment
   * later, after skipping what the client sent meanwhile: closing with its request unread would
   * reset the connection and could lose the answer. While many refusals wait for that, further
   * ones are closed at once, so a flood of connections cannot pile up open sockets.
   */
  private void refuseAtOnce(Socket socket, String why) {
    long now = System.nanoTime();
    long last = lastRefusalLog.get();
    if (now - last >= REFUSAL_LOG_NANOS && lastRefusalLog.compareAndSet(last, now)) {
      log.warn("MJF server: refused a connection from {}: {} (further refusals in the next 10 s are not logged)",
          socket.getInetAddress().getHostAddress(), why);
    }
    try {
      socket.getOutputStream().write(response(Reply.text(503, why + "\n"), MJF_SERVER));
      socket.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(socket);
      return;
    }
    if (refusalsClosing.incrementAndGet() > limits.maxConnections()) {
      refusalsClosing.decrementAndGet();
      closeQuietly(socket);
      return;
    }
    try {
      watchdog.schedule(() -> {
        try {
          InputStream in = socket.getInputStream();
          in.skip(Math.min(in.available(), DRAIN_BYTES));
        } catch (IOException e) {
          // Closing below is all that is left.
        } finally {
          refusalsClosing.decrementAndGet();
          closeQuietly(socket);
        }
      }, REFUSAL_CLOSE_DELAY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      refusalsClosing.decrementAndGet();
      closeQuietly(socket);
    }
  }

  private void serve(Socket socket) {
    try {
      socket.setTcpNoDelay(true);
      TimedInput timed = new TimedInput(socket, (int) limits.readTimeout().toMillis());
      InputStream in = new BufferedInputStream(timed);
      Exchange exchange = new Exchange(socket, in, timed);
      exchange.run();
    } catch (IOException e) {
      log.debug("MJF server: connection from {} failed: {}", socket.getRemoteSocketAddress(), e.toString());
    } finally {
      release(socket);
      closeQuietly(socket);
    }
  }

  /** One connection's one request, from its head to the close. */
  private final class Exchange {
    private final Socket socket;
    private final InputStream in;
    private final TimedInput timed;
    private String server = METADATA_SERVER;
    // Whether the client may still be sending: the body was not read to its end.
    private boolean unread = true;

    Exchange(Socket socket, InputStream in, TimedInput timed) {
      this.socket = socket;
      this.in = in;
      this.timed = timed;
    }

    void run() throws IOException {
      Request request;
      timed.deadline(System.nanoTime() + limits.readTimeout().toNanos());
      try {
        request = readHead(in, (InetSocketAddress) socket.getRemoteSocketAddress());
      } catch (SocketTimeoutException e) {
        log.info("MJF server: {} sent no complete request within {}; closing", socket.getInetAddress().getHostAddress(),
            limits.readTimeout());
        answer(timeout(), false);
        return;
      } catch (Refused e) {
        answer(Reply.text(e.code, e.getMessage() + "\n"), true);
        return;
      }
      timed.deadline(Long.MAX_VALUE);
      Reply reply;
      try {
        reply = handle(request, this);
      } catch (SocketTimeoutException e) {
        log.info("MJF server: {} {} from {} stalled for {}; closing", request.method(), request.target(),
            socket.getInetAddress().getHostAddress(), limits.readTimeout());
        answer(timeout(), false);
        return;
      } catch (IOException | RuntimeException e) {
        log.warn("MJF server: {} {} from {} failed", request.method(), request.target(), request.remote(), e);
        reply = Reply.text(500, "internal error\n");
      }
      answer(reply, true);
    }

    private Reply timeout() {
      return Reply.text(408, "request timeout: nothing arrived for " + limits.readTimeout().toMillis()
          + " ms (vacuum.mjf.read-timeout)\n");
    }

    /** Tells a client that asked for it to send its body. */
    void proceed(Request request) throws IOException {
      if (expectsContinue(request)) {
        OutputStream out = socket.getOutputStream();
        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    }

    /** The body was read to its end, or will not come: there is nothing to drain before closing. */
    void bodyRead() {
      unread = false;
    }

    /** A client that waits for 100 Continue sends no body when it gets an answer instead. */
    Reply refuseBody(Request request, Reply reply) {
      if (expectsContinue(request)) {
        bodyRead();
      }
      return reply;
    }

    /**
     * Writes the answer within the read timeout (a client that does not read is cut off), then
     * closes. If the client may still be sending, a little more is read first: closing with data
     * unread resets the connection, and the client could lose the answer.
     */
    private void answer(Reply reply, boolean drain) {
      ScheduledFuture<?> cutOff;
      try {
        cutOff = watchdog.schedule(() -> closeQuietly(socket), limits.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // The server is closed: the connection goes without an answer.
        return;
      }
      try {
        OutputStream out = socket.getOutputStream();
        out.write(response(reply, server));
        out.flush();
        socket.shutdownOutput();
        if (drain && unread) {
          timed.deadline(System.nanoTime() + DRAIN_TIME.toNanos());
          byte[] skip = new byte[8192];
          int total = 0;
          int n;
          while (total < DRAIN_BYTES && (n = in.read(skip)) >= 0) {
            total += n;
          }
        }
      } catch (IOException e) {
        // The client is gone or too slow; closing is all that is left.
      } finally {
        cutOff.cancel(false);
      }
    }
  }

  private static boolean expectsContinue(Request request) {
    String expect = request.header("expect");
    return expect != null && expect.trim().equalsIgnoreCase("100-continue");
  }

  /**
   * A socket's input where every read waits at most the idle timeout and, while a deadline is set,
   * no later than the deadline.
   */
  private static final class TimedInput extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private final int idleMillis;
    private long deadlineNanos = Long.MAX_VALUE;

    TimedInput(Socket socket, int idleMillis) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.idleMillis = idleMillis;
    }

    /** {@link Long#MAX_VALUE} for none. */
    void deadline(long nanos) {
      deadlineNanos = nanos;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int timeout = idleMillis;
      if (deadlineNanos != Long.MAX_VALUE) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (left <= 0) {
          throw new SocketTimeoutException("deadline passed");
        }
        timeout = (int) Math.min(timeout, left);
      }
      socket.setSoTimeout(timeout);
      return in.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
      return in.available();
    }
  }

  /** Reads the request line and headers, at most {@link #MAX_HEAD_BYTES} of them. */
  private static Request readHead(InputStream in, InetSocketAddress remote) throws IOException, Refused {
    int[] budget = {MAX_HEAD_BYTES};
    String line = readLine(in, budget);
    // RFC 9112: a server ignores empty lines before the request line.
    while (line != null && line.isEmpty()) {
      line = readLine(in, budget);
    }
    if (line == null) {
      throw new Refused(400, "bad request: the connection ended before a request line");
    }
    String[] parts = line.split(" ", -1);
    if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || !parts[2].startsWith("HTTP/")) {
      throw new Refused(400, "bad request: the request line is not 'METHOD TARGET HTTP/1.x'");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    while (true) {
      String header = readLine(in, budget);
      if (header == null) {
        throw new Refused(400, "bad request: the connection ended inside the headers");
      }
      if (header.isEmpty()) {
        break;
      }
      int colon = header.indexOf(':');
      if (colon <= 0) {
        throw new Refused(400, "bad request: a header line has no name");
      }
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      String earlier = headers.putIfAbsent(name, value);
      if (name.equals("content-length") && earlier != null && !earlier.equals(value)) {
        throw new Refused(400, "bad request: two different Content-Length headers");
      }
    }
    return new Request(parts[0], parts[1], headers, remote);
  }

  /** One line without its CR LF (a bare LF ends a line too); null at the end of the stream. */
  private static String readLine(InputStream in, int[] budget) throws IOException, Refused {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      if (--budget[0] < 0) {
        throw new Refused(431, "request header fields too large: the head is over " + MAX_HEAD_BYTES + " bytes");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
  }

  private Reply handle(Request request, Exchange exchange) throws IOException {
    String path = requestPath(request.target()).replaceAll("/{2,}", "/");
    boolean mjf = isMjfPath(path);
    if (mjf) {
      lastMjfRequest = Instant.now();
    } else {
      lastMetadataRequest = Instant.now();
    }
    exchange.server = mjf ? MJF_SERVER : METADATA_SERVER;
    Optional<MachineView> machine = identify(request.remote());
    return switch (request.method()) {
      case "GET" -> machine.isEmpty() ? NOT_FOUND : (mjf ? getMjf(machine.get(), path) : getMetadata(machine.get(), path));
      case "PUT" -> machine.isEmpty() ? FORBIDDEN : put(machine.get(), path, request, exchange);
      default -> new Reply(405, "method not allowed\n".getBytes(StandardCharsets.UTF_8), "text/plain",
          Map.of("Allow", "GET, PUT"));
    };
  }

  /**
   * The path exactly as the request line has it, undecoded. Not {@link java.net.URI#getRawPath}: a
   * path starting {@code //} would parse as an authority, and Vac folds it instead.
   */
  static String requestPath(String target) {
    String s = target;
    for (char end : new char[] {'?', '#'}) {
      int i = s.indexOf(end);
      if (i >= 0) {
        s = s.substring(0, i);
      }
    }
    int scheme = s.indexOf("://");
    if (scheme > 0 && !s.startsWith("/")) {
      // An absolute-form request line (as to a proxy): drop scheme and authority.
      int slash = s.indexOf('/', scheme + 3);
      s = slash < 0 ? "/" : s.substring(slash);
    }
    return s.isEmpty() ? "/" : s;
  }

  private static boolean isMjfPath(String path) {
    String[] segments = path.split("/", -1);
    String first = segments.length > 1 ? segments[1] : "";
    return first.equals("machinefeatures") || first.equals("jobfeatures") || first.equals("joboutputs");
  }

  private Optional<MachineView> identify(InetSocketAddress remote) {
    InetAddress address = remote == null ? null : remote.getAddress();
    if (!(address instanceof Inet4Address)) {
      return Optional.empty();
    }
    String ip = address.getHostAddress();
    if (!ip.startsWith(addressPrefix)) {
      return Optional.empty();
    }
    String rest = ip.substring(addressPrefix.length());
    if (!ORDINAL.matcher(rest).matches()) {
      return Optional.empty();
    }
    return lookup.byOrdinal(Integer.parseInt(rest));
  }

  private Reply getMjf(MachineView machine, String path) throws IOException {
    String[] segments = path.split("/", -1);
    if (path.contains("/../") || segments.length > 3) {
      return NOT_FOUND;
    }
    Path area;
    switch (segments[1]) {
      case "machinefeatures" -> area = machine.directory().machinefeatures();
      case "jobfeatures" -> area = machine.directory().jobfeatures();
      default -> {
        // GET of joboutputs is not offered: what machines write is for the factory only.
        return NOT_FOUND;
      }
    }
    if (segments.length == 2 || segments[2].isEmpty()) {
      return listing(segments[1], area);
    }
    String key = segments[2];
    if (key.equals(".") || key.equals("..")) {
      return NOT_FOUND;
    }
    return readFile(area.resolve(key));
  }

  private static Reply listing(String areaName, Path area) throws IOException {
    List<String> keys;
    try (Stream<Path> files = Files.list(area)) {
      keys = files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
    } catch (NoSuchFileException e) {
      return NOT_FOUND;
    }
    StringBuilder html = new StringBuilder("<html><body><ul>");
    for (String key : keys) {
      String escaped = escapeHtml(key);
      // Absolute links, so they work whether or not the request had the trailing slash.
      html.append("<li><a href=\"/").append(areaName).append('/').append(escaped).append("\">")
          .append(escaped).append("</a></li>");
    }
    html.append("</ul></body></html>");
    return Reply.ok(html.toString().getBytes(StandardCharsets.UTF_8));
  }

  private Reply getMetadata(MachineView machine, String path) throws IOException {
    // Vac's trick: "latest" is just one more dated version.
    String dated = path.replace("/latest/", "/0000-00-00/");
    MachineDirectory dir = machine.directory();
    if (USER_DATA.matcher(dated).matches()) {
      return readFile(dir.userDataFile());
    }
    if (META_DATA_JSON.matcher(dated).matches()) {
      return metaDataJson(machine);
    }
    if (META_DATA_LISTING.matcher(dated).matches()) {
      return Reply.ok(METADATA_LISTING.getBytes(StandardCharsets.UTF_8));
    }
    if (OPENSSH_KEY.matcher(dated).matches()) {
      return readFile(dir.rootPublicKeyFile());
    }
    Matcher instance = INSTANCE_ID.matcher(dated);
    if (instance.matches()) {
      return Reply.ok(machine.uuid().toString().getBytes(StandardCharsets.UTF_8));
    }
    return NOT_FOUND;
  }

  private Reply metaDataJson(MachineView machine) throws IOException {
    Map<String, Object> metaData = new LinkedHashMap<>();
    metaData.put("availability_zone", machine.factory());
    Path keyFile = machine.directory().rootPublicKeyFile();
    try {
      metaData.put("public_keys", Map.of("0", Files.readString(keyFile, StandardCharsets.UTF_8)));
    } catch (NoSuchFileException e) {
      // No key configured on the factory: Vac leaves public_keys out.
    }
    metaData.put("uuid", machine.uuid().toString());
    metaData.put("hostname", machine.name());
    metaData.put("name", machine.name());
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("machinefeatures", guestUrl + "/machinefeatures");
    meta.put("jobfeatures", guestUrl + "/jobfeatures");
    meta.put("joboutputs", guestUrl + "/joboutputs");
    meta.put("machinetype", machine.machinetype());
    metaData.put("meta", meta);
    return new Reply(200, json.writeValueAsBytes(metaData), "application/json");
  }

  private Reply put(MachineView machine, String path, Request request, Exchange exchange) throws IOException {
    String[] segments = path.split("/", -1);
    if (segments.length != 3 || !segments[1].equals("joboutputs") || segments[2].isEmpty()) {
      return FORBIDDEN;
    }
    String name = segments[2];
    String contentLength = request.header("content-length");
    long length;
    try {
      length = Long.parseLong(contentLength == null ? "" : contentLength.trim());
    } catch (NumberFormatException e) {
      return FORBIDDEN;
    }
    if (length < 0) {
      return FORBIDDEN;
    }
    if (length > limits.maxJoboutputFile()) {
      log.warn("{}: refused joboutputs/{} of {} bytes: over the limit of {} bytes per file", machine.name(), name,
          length, limits.maxJoboutputFile());
      return exchange.refuseBody(request, Reply.text(413, "joboutputs/" + name + " of " + length
          + " bytes is over the limit of " + limits.maxJoboutputFile()
          + " bytes per file (vacuum.mjf.max-joboutput-file)\n"));
    }
    Path joboutputs = machine.directory().joboutputs();
    long others;
    synchronized (reserved) {
      // The file this PUT replaces does not count; PUTs of this machine still being written do.
      Usage usage = usageBesides(joboutputs, name);
      if (!usage.replaces() && usage.files() >= MAX_JOBOUTPUT_FILES) {
        log.warn("{}: refused joboutputs/{}: the machine has {} files already", machine.name(), name, usage.files());
        return exchange.refuseBody(request, Reply.text(413, "joboutputs/" + name + " would be one file more than the"
            + " limit of " + MAX_JOBOUTPUT_FILES + " files per machine\n"));
      }
      others = usage.bytes() + reserved.getOrDefault(machine.name(), 0L);
      if (others + length > limits.maxJoboutputsPerMachine()) {
        log.warn("{}: refused joboutputs/{} of {} bytes: with the {} bytes already there it would pass the limit of {}"
            + " bytes per machine", machine.name(), name, length, others, limits.maxJoboutputsPerMachine());
        return exchange.refuseBody(request, Reply.text(413, "joboutputs/" + name + " of " + length
            + " bytes would take this machine's joboutputs to " + (others + length) + " bytes, over the limit of "
            + limits.maxJoboutputsPerMachine() + " bytes per machine (vacuum.mjf.max-joboutputs-per-machine)\n"));
      }
      reserved.merge(machine.name(), length, Long::sum);
    }
    try {
      exchange.proceed(request);
      machine.directory().writeJoboutput(name, exchange.in, length);
      exchange.bodyRead();
    } catch (IOException | IllegalArgumentException e) {
      if (e instanceof IOException && timedOut(e)) {
        throw new SocketTimeoutException("joboutputs/" + name + " body stalled");
      }
      if (!closed.get()) {
        log.warn("{}: cannot store joboutputs/{} from the machine: {}", machine.name(), name, e.getMessage());
      }
      return FORBIDDEN;
    } finally {
      synchronized (reserved) {
        reserved.computeIfPresent(machine.name(), (m, bytes) -> bytes - length <= 0 ? null : bytes - length);
      }
    }
    log.debug("{}: wrote joboutputs/{} ({} bytes)", machine.name(), name, length);
    try {
      listener.written(machine, name);
    } catch (RuntimeException e) {
      log.warn("{}: joboutputs listener failed for {}", machine.name(), name, e);
    }
    return CREATED;
  }

  /** A joboutputs directory but for one name: its files and their bytes, and whether the name is there. */
  private record Usage(int files, long bytes, boolean replaces) {}

  private static Usage usageBesides(Path joboutputs, String name) throws IOException {
    int files = 0;
    long bytes = 0;
    boolean replaces = false;
    try (Stream<Path> entries = Files.list(joboutputs)) {
      for (Path file : (Iterable<Path>) entries::iterator) {
        if (file.getFileName().toString().equals(name)) {
          replaces = true;
          continue;
        }
        files++;
        try {
          if (Files.isRegularFile(file)) {
            bytes += Files.size(file);
          }
        } catch (NoSuchFileException e) {
          // Removed meanwhile: it takes no room.
        }
      }
    } catch (NoSuchFileException e) {
      return new Usage(0, 0, false);
    }
    return new Usage(files, bytes, replaces);
  }

  private static boolean timedOut(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private static Reply readFile(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return NOT_FOUND;
    }
    try {
      return Reply.ok(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return NOT_FOUND;
    }
  }

  /** The whole answer: status line, headers, body; every answer closes its connection. */
  private static byte[] response(Reply reply, String server) {
    StringBuilder head = new StringBuilder()
        .append("HTTP/1.1 ").append(reply.code()).append(' ').append(reason(reply.code())).append("\r\n")
        .append("Date: ").append(HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n")
        .append("Server: ").append(server).append("\r\n");
    if (reply.contentType() != null) {
      head.append("Content-Type: ").append(reply.contentType()).append("\r\n");
    }
    reply.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("Content-Length: ").append(reply.body().length).append("\r\n")
        .append("Connection: close\r\n\r\n");
    byte[] top = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[top.length + reply.body().length];
    System.arraycopy(top, 0, all, 0, top.length);
    System.arraycopy(reply.body(), 0, all, top.length, reply.body().length);
    return all;
  }

  private static String reason(int code) {
    return switch (code) {
      case 200 -> "OK";
      case 201 -> "Created";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 413 -> "Content Too Large";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Internal Server Error";
    };
  }

  private static String escapeHtml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static java.util.concurrent.ThreadFactory daemon(java.util.function.Supplier<String> name) {
    return r -> {
      Thread t = new Thread(r, name.get());
      t.setDaemon(true);
      return t;
    };
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // Closing is the last step; a failure leaves nothing to do.
    }
  }
}
