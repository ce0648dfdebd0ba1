package org.vacuum.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.YearMonth;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.vacuum.accounting.apel.ApelRecords;
import org.vacuum.accounting.audit.AuditFilter;
import org.vacuum.accounting.projection.AccountingReplay;
import org.vacuum.config.VacuumSettings;
import org.vacuum.host.FactoryHost;

/**
 * The audit trail over admin HTTP, streamed as NDJSON ({@code application/x-ndjson}: one JSON
 * object per line, chunked, so neither side holds the whole trail):
 *
 * <ul>
 *   <li>{@code GET /api/v1/audit[?entity=TYPE[:ID]][&since=ISO][&until=ISO]}: every persisted
 *       event, in journal order, one {@link org.vacuum.accounting.audit.AuditLine} per line;
 *   <li>{@code GET /api/v1/audit/accounting/YYYYMM}: the APEL records of this node's factory's
 *       machines finished in that month, regenerated from the events ({@link AccountingReplay}),
 *       one {@code {"machine_uuid": .., "machine": .., "record": ..}} per line.
 * </ul>
 *
 * A bad parameter is answered 400 with {@code {"error": ...}} before anything is streamed. A
 * journal failure in the middle of a stream ends the response early (the last line is then not
 * followed by a newline's worth of further events: clients see a truncated chunked body).
 */
public final class AuditRoutes extends AllDirectives {

  /** NDJSON. */
  public static final ContentType NDJSON =
      MediaTypes.applicationWithFixedCharset("x-ndjson", HttpCharsets.UTF_8).toContentType();
  private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ActorSystem<?> system;
  private final VacuumSettings settings;

  private AuditRoutes(ActorSystem<?> system, VacuumSettings settings) {
    this.system = system;
    this.settings = settings;
  }

  /** The routes under {@code /api/v1}. */
  public static Route route(ActorSystem<?> system, VacuumSettings settings) {
    return new AuditRoutes(system, settings).audit();
  }

  private Route audit() {
    return pathPrefix("audit", () -> concat(
        pathEndOrSingleSlash(() -> get(() -> parameterOptional("entity", entity -> parameterOptional("since",
            since -> parameterOptional("until", until -> complete(trail(entity, since, until))))))),
        path(PathMatchers.segment("accounting").slash(PathMatchers.segment()),
            month -> get(() -> complete(accounting(month))))));
  }

  private HttpResponse trail(Optional<String> entity, Optional<String> since, Optional<String> until) {
    AuditFilter filter;
    try {
      filter = AuditFilter.parse(entity.orElse(null), since.orElse(null), until.orElse(null));
    } catch (IllegalArgumentException e) {
      return error(StatusCodes.BAD_REQUEST, e.getMessage());
    }
    return ndjson(AuditTrail.lines(system, settings, filter).map(line -> line.toJson()));
  }

  private HttpResponse accounting(String yyyymm) {
    YearMonth month;
    try {
      month = YearMonth.parse(yyyymm, MONTH);
    } catch (DateTimeParseException e) {
      return error(StatusCodes.BAD_REQUEST, "month '" + yyyymm + "' is not YYYYMM (e.g. 202611)");
    }
    Optional<FactoryHost> host = AccountingReplay.host(system);
    if (host.isEmpty()) {
      return error(StatusCodes.NOT_FOUND, "this node (" + settings.adminUrl() + ") hosts no factory:"
          + " rebuild accounting on the node of the factory whose records you want");
    }
    return ndjson(AccountingReplay.jobs(system, host.get(), month).map(job -> JSON.createObjectNode()
        .put("machine_uuid", job.machineUuid())
        .put("machine", job.machine())
        .put("record", ApelRecords.individual(job))
        .toString()));
  }

  private static HttpResponse ndjson(Source<String, ?> lines) {
    return HttpResponse.create().withStatus(StatusCodes.OK).withEntity(HttpEntities.createChunked(NDJSON,
        lines.map(line -> ByteString.fromString(line + "\n", StandardCharsets.UTF_8))));
  }

  private static HttpResponse error(StatusCode status, String message) {
    byte[] body = JSON.createObjectNode().put("error", message).toString().getBytes(StandardCharsets.UTF_8);
    return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
  }
}
