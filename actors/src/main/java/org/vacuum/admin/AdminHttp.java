package org.vacuum.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.config.VacuumSettings;
import org.vacuum.factory.Factory;
import org.vacuum.protocol.factory.FactoryProtocol.ClearDrain;
import org.vacuum.protocol.factory.FactoryProtocol.Command;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryProtocol.SetDrain;
import org.vacuum.protocol.factory.FactoryStatus;
import org.vacuum.space.Census;

/**
 * The node's admin HTTP server: one port for vacuum's JSON API under {@code /api/v1} and Pekko
 * Management ({@code /cluster/members}, {@code /ready}, {@code /alive}).
 *
 * <p>Every answer of the API is JSON, errors included: {@code {"error": "..."}} with 400 for a bad
 * body (naming what is wrong), 404 for an unknown route or factory, 405 for a wrong method, 503
 * when a factory refuses, 504 when it does not answer within the census deadline.
 */
public final class AdminHttp extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);

  private static final ObjectMapper PLAIN = new ObjectMapper();

  private final ActorSystem<?> system;
  private final VacuumSettings settings;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private AdminHttp(ActorSystem<?> system, VacuumSettings settings) {
    this.system = system;
    this.settings = settings;
  }

  /**
   * Binds the admin server on {@code vacuum.admin.host:port}; it unbinds when the system shuts down.
   * The returned stage fails if the port cannot be bound.
   */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, VacuumSettings settings) {
    AdminHttp admin = new AdminHttp(system, settings);
    return Http.get(system)
        .newServerAt(settings.adminHost(), settings.adminPort())
        .bind(admin.route())
        .thenApply(binding -> {
          binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
          log.info("admin HTTP on {}", settings.adminUrl());
          return binding;
        });
  }

  Route route() {
    return handleExceptions(exceptionsAsJson(), () -> handleRejections(rejectionsAsJson(), () -> concat(
        api(),
        PekkoManagement.get(system.classicSystem()).getRoutes())));
  }

  private Route api() {
    return pathPrefix("api", () -> pathPrefix("v1", () -> pathPrefix("factories", this::factories)));
  }

  private Route factories() {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> completeWithFuture(census()))),
        pathPrefix(PathMatchers.segment(), name -> concat(
            pathEndOrSingleSlash(() -> get(() -> completeWithFuture(askFactory(name, FactoryQuery::new)))),
            path("drain", () -> concat(
                post(() -> entity(Unmarshaller.entityToString(), body -> completeWithFuture(drain(name, body)))),
                delete(() -> completeWithFuture(askFactory(name, ClearDrain::new))))))));
  }

  private CompletionStage<HttpResponse> census() {
    return Census.run(system, settings, settings.censusTimeout()).thenApply(result -> json(StatusCodes.OK, result));
  }

  private CompletionStage<HttpResponse> drain(String name, String body) {
    String reason;
    try {
      reason = drainReason(body);
    } catch (BadRequest e) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, e.getMessage()));
    }
    return askFactory(name, replyTo -> new SetDrain(reason, replyTo));
  }

  /** The optional body of a drain request: nothing, or {@code {"reason": "text"}}. */
  private String drainReason(String body) throws BadRequest {
    if (body.isBlank()) {
      return "";
    }
    JsonNode node;
    try {
      node = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequest("request body is not JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    }
    if (!node.isObject()) {
      throw new BadRequest("request body must be a JSON object like {\"reason\": \"kernel update\"}");
    }
    List<String> unknown = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!field.equals("reason")) unknown.add(field);
    }
    if (!unknown.isEmpty()) {
      throw new BadRequest("unknown field(s) " + unknown + " in request body; only \"reason\" is accepted");
    }
    JsonNode reason = node.get("reason");
    if (reason != null && !reason.isTextual() && !reason.isNull()) {
      throw new BadRequest("field \"reason\" must be a string, not " + reason.getNodeType().toString().toLowerCase());
    }
    return reason == null || reason.isNull() ? "" : reason.asText();
  }

  private CompletionStage<HttpResponse> askFactory(
      String name, Function<ActorRef<StatusReply<FactoryStatus>>, Command> message) {
    scala.Function1<ActorRef<StatusReply<FactoryStatus>>, Command> ask = message::apply;
    List<String> members = Census.factoryNames(system);
    if (!members.contains(name)) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", "factory " + name + " is not a member of space " + settings.space());
      body.put("factories", members);
      return CompletableFuture.completedFuture(json(StatusCodes.NOT_FOUND, body));
    }
    return ClusterSharding.get(system).entityRefFor(Factory.ENTITY_KEY, name)
        .askWithStatus(ask, settings.censusTimeout())
        .thenApply(status -> json(StatusCodes.OK, status))
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof TimeoutException) {
            return error(StatusCodes.GATEWAY_TIMEOUT, "factory " + name + " did not answer within "
                + settings.censusTimeout().toMillis() + " ms");
          }
          if (cause instanceof StatusReply.ErrorMessage) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, cause.getMessage());
          }
          log.warn("asking factory {} failed", name, cause);
          return error(StatusCodes.INTERNAL_SERVER_ERROR, "asking factory " + name + " failed: " + cause);
        });
  }

  /** Pekko's default rejection answers (404, 405, 400, ...) with their text put into JSON. */
  private static RejectionHandler rejectionsAsJson() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (response.entity() instanceof HttpEntity.Strict strict
          && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        return error(response.status(), strict.getData().utf8String());
      }
      return response;
    });
  }

  private static ExceptionHandler exceptionsAsJson() {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> {
          log.error("admin HTTP request failed", e);
          return Directives.complete(error(StatusCodes.INTERNAL_SERVER_ERROR, "internal error: " + e));
        })
        .build();
  }

  private HttpResponse json(StatusCode status, Object body) {
    try {
      return HttpResponse.create().withStatus(status)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render " + body.getClass().getSimpleName() + " as JSON", e);
    }
  }

  private static HttpResponse error(StatusCode status, String message) {
    byte[] body = PLAIN.createObjectNode().put("error", message).toString().getBytes(StandardCharsets.UTF_8);
    return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
  }

  private static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }
}
