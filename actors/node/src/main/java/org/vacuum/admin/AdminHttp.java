package org.vacuum.admin;

import org.vacuum.protocol.factory.FactoryProtocol;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
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
import org.vacuum.admin.AuditRoutes;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.VacConf;
import org.vacuum.admin.InfoRoutes;
import org.vacuum.protocol.factory.FactoryProtocol.ClearDrain;
import org.vacuum.protocol.factory.FactoryProtocol.Command;
import org.vacuum.protocol.factory.FactoryProtocol.CreateMachine;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryProtocol.MachinesQuery;
import org.vacuum.protocol.factory.FactoryProtocol.SetDrain;
import org.vacuum.protocol.factory.FactoryStatus;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol;
import org.vacuum.protocol.slot.SlotProtocol.Destroy;
import org.vacuum.protocol.slot.SlotProtocol.GetStatus;
import org.vacuum.slot.Slot;
import org.vacuum.space.Census;

/**
 * The node's admin HTTP server: one port for vacuum's JSON API under {@code /api/v1} and Pekko
 * Management ({@code /cluster/members}, {@code /ready}, {@code /alive}).
 *
 * <p>API: {@code GET /api/v1/factories} (census), {@code GET /factories/{name}}, {@code
 * POST|DELETE /factories/{name}/drain}, {@code GET /factories/{name}/machines}, {@code POST
 * /factories/{name}/machines} with {@code {"machinetype": "..."}} (201), {@code GET
 * /api/v1/machines[?factory=F]} (machines census), {@code GET
 * /api/v1/machinetypes[?factory=F...][&name=TYPE]} (machinetypes census), {@code GET /machines/{machine}}, {@code DELETE
 * /machines/{machine}[?reason=...]} (destroy); VC3's information model under {@code /api/v1/users},
 * {@code /projects}, ... ({@link InfoRoutes}).
 *
 * <p>Every answer of the API is JSON, errors included: {@code {"error": "..."}} with 400 for a bad
 * body (naming what is wrong), 404 for an unknown route or factory, 405 for a wrong method, 503
 * when a factory refuses, 504 when it does not answer within the census deadline ({@link
 * Census#deadline}: this node's vac.conf {@code udp_timeout_seconds}).
 */
public final class AdminHttp extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);

  private static final ObjectMapper PLAIN = new ObjectMapper();

  private final ActorSystem<?> system;
  private final VacuumSettings settings;
  private final Supplier<Optional<VacConf>> vacConf;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private AdminHttp(ActorSystem<?> system, VacuumSettings settings, Supplier<Optional<VacConf>> vacConf) {
    this.system = system;
    this.settings = settings;
    this.vacConf = vacConf;
  }

  /**
   * Binds the admin server on {@code vacuum.admin.host:port}; it unbinds when the system shuts down.
   * The returned stage fails if the port cannot be bound.
   */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, VacuumSettings settings) {
    return start(system, settings, Optional::empty);
  }

  /** As {@link #start(ActorSystem, VacuumSettings)}, with the node's vac.conf in force (for the census deadline). */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, VacuumSettings settings,
      Supplier<Optional<VacConf>> vacConf) {
    AdminHttp admin = new AdminHttp(system, settings, vacConf);
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
    return pathPrefix("api", () -> pathPrefix("v1", () -> concat(
        pathPrefix("factories", this::factories),
        pathPrefix("machines", this::machines),
        pathPrefix("machinetypes", this::machinetypes),
        AuditRoutes.route(system, settings),
        InfoRoutes.route(system))));
  }

  private Route factories() {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> completeWithFuture(census()))),
        pathPrefix(PathMatchers.segment(), name -> concat(
            pathEndOrSingleSlash(() -> get(() -> completeWithFuture(askFactory(name, FactoryQuery::new)))),
            path("machines", () -> concat(
                get(() -> completeWithFuture(askFactory(name, MachinesQuery::new))),
                post(() -> entity(Unmarshaller.entityToString(), body -> completeWithFuture(createMachine(name, body)))))),
            path("drain", () -> concat(
                post(() -> entity(Unmarshaller.entityToString(), body -> completeWithFuture(drain(name, body)))),
                delete(() -> completeWithFuture(askFactory(name, ClearDrain::new))))))));
  }

  /** {@code GET /api/v1/machines[?factory=F...]}, {@code GET|DELETE /api/v1/machines/{machine}}. */
  private Route machines() {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> parameterList("factory", only ->
            completeWithFuture(Census.machines(system, settings, censusDeadline(), only)
                .thenApply(result -> json(StatusCodes.OK, result)))))),
        path(PathMatchers.segment(), machine -> concat(
            get(() -> completeWithFuture(askSlot(machine, GetStatus::new))),
            delete(() -> parameterOptional("reason", reason -> completeWithFuture(askSlot(machine,
                replyTo -> new Destroy(reason.orElse("destroyed by an operator"), null, replyTo))))))));
  }

  /** {@code GET /api/v1/machinetypes[?factory=F...][&name=TYPE]}: the machinetypes census, optionally of one type. */
  private Route machinetypes() {
    return pathEndOrSingleSlash(() -> get(() -> parameterList("factory", only -> parameterOptional("name", name ->
        completeWithFuture(Census.machinetypes(system, settings, censusDeadline(), only)
            .thenApply(result -> json(StatusCodes.OK, name.isEmpty() ? result : new Census.MachinetypesResult(
                result.space(), result.machinetypes().stream().filter(m -> m.machinetype().equals(name.get())).toList(),
                result.noReply()))))))));
  }

  /** The one deadline of every census and query this API runs. */
  private Duration censusDeadline() {
    return Census.deadline(settings, vacConf.get());
  }

  private CompletionStage<HttpResponse> createMachine(String factory, String body) {
    String machinetype;
    try {
      machinetype = stringField(body, "machinetype", true);
    } catch (BadRequest e) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, e.getMessage()));
    }
    return this.<MachineStatus>askFactory(factory, StatusCodes.CREATED, replyTo -> new CreateMachine(machinetype, replyTo));
  }

  private CompletionStage<HttpResponse> askSlot(String machine,
      Function<ActorRef<StatusReply<MachineStatus>>, SlotProtocol.Command> message) {
    String factory;
    try {
      factory = SlotNames.factoryOf(machine);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(error(StatusCodes.NOT_FOUND, e.getMessage()));
    }
    if (!Census.factoryNames(system).contains(factory)) {
      return CompletableFuture.completedFuture(error(StatusCodes.NOT_FOUND,
          "machine " + machine + ": factory " + factory + " is not a member of space " + settings.space()));
    }
    scala.Function1<ActorRef<StatusReply<MachineStatus>>, SlotProtocol.Command> ask = message::apply;
    return answer(ClusterSharding.get(system).entityRefFor(SlotProtocol.ENTITY_KEY, machine)
        .askWithStatus(ask, settings.slot().shutdownGrace().plus(censusDeadline())), StatusCodes.OK,
        "machine " + machine);
  }

  private CompletionStage<HttpResponse> census() {
    return Census.run(system, settings, censusDeadline()).thenApply(result -> json(StatusCodes.OK, result));
  }

  private CompletionStage<HttpResponse> drain(String name, String body) {
    String reason;
    try {
      reason = drainReason(body);
    } catch (BadRequest e) {
      return CompletableFuture.completedFuture(error(StatusCodes.BAD_REQUEST, e.getMessage()));
    }
    return this.<FactoryStatus>askFactory(name, replyTo -> new SetDrain(reason, replyTo));
  }

  /** The optional body of a drain request: nothing, or {@code {"reason": "text"}}. */
  private String drainReason(String body) throws BadRequest {
    if (body.isBlank()) {
      return "";
    }
    return stringField(body, "reason", false);
  }

  /** The one string field of a JSON object body; other fields are refused by name. */
  private String stringField(String body, String field, boolean required) throws BadRequest {
    if (body.isBlank()) {
      if (required) {
        throw new BadRequest("request body must be a JSON object with a \"" + field + "\" string");
      }
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
      throw new BadRequest("request body must be a JSON object like {\"" + field + "\": \"...\"}");
    }
    List<String> unknown = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!name.equals(field)) unknown.add(name);
    }
    if (!unknown.isEmpty()) {
      throw new BadRequest("unknown field(s) " + unknown + " in request body; only \"" + field + "\" is accepted");
    }
    JsonNode value = node.get(field);
    if (value != null && !value.isTextual() && !value.isNull()) {
      throw new BadRequest("field \"" + field + "\" must be a string, not "
          + value.getNodeType().toString().toLowerCase());
    }
    if (required && (value == null || value.isNull() || value.asText().isBlank())) {
      throw new BadRequest("field \"" + field + "\" is required");
    }
    return value == null || value.isNull() ? "" : value.asText();
  }

  private <T> CompletionStage<HttpResponse> askFactory(
      String name, Function<ActorRef<StatusReply<T>>, Command> message) {
    return askFactory(name, StatusCodes.OK, message);
  }

  private <T> CompletionStage<HttpResponse> askFactory(
      String name, StatusCode success, Function<ActorRef<StatusReply<T>>, Command> message) {
    scala.Function1<ActorRef<StatusReply<T>>, Command> ask = message::apply;
    List<String> members = Census.factoryNames(system);
    if (!members.contains(name)) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", "factory " + name + " is not a member of space " + settings.space());
      body.put("factories", members);
      return CompletableFuture.completedFuture(json(StatusCodes.NOT_FOUND, body));
    }
    // Creating a machine may fetch an image and start a domain: give it the slot's own limit.
    Duration timeout = success == StatusCodes.CREATED ? Duration.ofMinutes(5) : censusDeadline();
    return answer(ClusterSharding.get(system).entityRefFor(FactoryProtocol.ENTITY_KEY, name).askWithStatus(ask, timeout),
        success, "factory " + name);
  }

  /** An entity's answer as JSON: success, 503 for a refusal, 504 for no answer in time. */
  private <T> CompletionStage<HttpResponse> answer(CompletionStage<T> reply, StatusCode success, String who) {
    return reply
        .thenApply(status -> json(success, status))
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof TimeoutException) {
            return error(StatusCodes.GATEWAY_TIMEOUT, who + " did not answer in time");
          }
          if (cause instanceof StatusReply.ErrorMessage) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, cause.getMessage());
          }
          log.warn("asking {} failed", who, cause);
          return error(StatusCodes.INTERNAL_SERVER_ERROR, "asking " + who + " failed: " + cause);
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
