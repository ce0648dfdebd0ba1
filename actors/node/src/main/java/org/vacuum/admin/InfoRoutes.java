package org.vacuum.admin;

import org.vacuum.infoservice.InfoKind;
import org.vacuum.infoservice.InfoEntities;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.infoservice.InfoEntities.InfoRejectedException;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;
import org.vacuum.protocol.info.InfoProtocol.Origin;

/**
 * The REST API of the information model (VC3's infoservice, reference/vc3.md §1.2, with §9's
 * fixes: JSON bodies, 404/409 instead of 405, optimistic versions), one resource per {@link
 * InfoKind} under {@code /api/v1/<path>}:
 *
 * <ul>
 *   <li>{@code GET /<path>} → 200 {@code {"<path>": [objects sorted by name]}}
 *   <li>{@code POST /<path>} with {@code {"name": ..., attribute: value...}} → 201 + the object
 *       (and {@code Location}); 409 if it exists
 *   <li>{@code GET /<path>/<name>} → 200 + the object; 404
 *   <li>{@code PATCH /<path>/<name>} with {@code {attribute: value...}} (sparse; null unsets) and
 *       optional {@code If-Match: "<version>"} → 200 + the object; 404; 412 if the version moved on
 *   <li>{@code DELETE /<path>/<name>} (optional {@code If-Match}) → 200 + the object as it was; 404; 412
 * </ul>
 *
 * <p>An object is {@code name}, {@code version} and every attribute of its kind (never set = the
 * default or null), secrets shown as {@value InfoKind#MASK}; every answer with an object carries
 * {@code ETag: "<version>"}. Errors are {@code {"error": "..."}}; a 400 also lists the bad fields
 * in {@code "fields"} (unknown attributes, wrong types, values not allowed, system-owned
 * attributes, the name), and a 412 gives the current {@code "version"}. Users never set
 * system-owned attributes here: that is {@link InfoEntities#systemUpdate}'s job.
 */
public final class InfoRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(InfoRoutes.class);

  // The author recorded in events until the API authenticates its users.
  private static final String BY = "api";
  private static final Pattern VERSION_TAG = Pattern.compile("(?:W/)?\"?(\\d{1,9})\"?");

  private final InfoEntities entities;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private InfoRoutes(ActorSystem<?> system) {
    this.entities = InfoEntities.get(system);
  }

  /** The routes of every kind, to be placed under {@code /api/v1}. */
  public static Route route(ActorSystem<?> system) {
    InfoRoutes routes = new InfoRoutes(system);
    Route[] all = InfoKind.all().map(routes::kind).toArray(Route[]::new);
    return routes.concat(all[0], Arrays.copyOfRange(all, 1, all.length));
  }

  private Route kind(InfoKind kind) {
    return pathPrefix(kind.path(), () -> concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> completeWithFuture(list(kind))),
            post(() -> entity(Unmarshaller.entityToString(), body -> completeWithFuture(create(kind, body)))))),
        path(PathMatchers.segment(), name -> concat(
            get(() -> completeWithFuture(answer(kind, name, StatusCodes.OK, entities.get(kind, name)))),
            patch(() -> optionalHeaderValueByName("If-Match", ifMatch ->
                entity(Unmarshaller.entityToString(), body -> completeWithFuture(update(kind, name, ifMatch, body))))),
            delete(() -> optionalHeaderValueByName("If-Match", ifMatch ->
                completeWithFuture(delete(kind, name, ifMatch))))))));
  }

  private CompletionStage<HttpResponse> list(InfoKind kind) {
    return entities.list(kind).thenApply(objects -> {
      ObjectNode body = json.createObjectNode();
      ArrayNode array = body.putArray(kind.path());
      objects.forEach(o -> array.add(kind.render(o, true)));
      return json(StatusCodes.OK, body);
    }).exceptionally(e -> failure(kind, null, e));
  }

  private CompletionStage<HttpResponse> create(InfoKind kind, String body) {
    ObjectNode object;
    try {
      object = object(body, "{\"name\": \"...\", \"<attribute>\": ...}");
    } catch (BadRequest e) {
      return done(error(StatusCodes.BAD_REQUEST, e.getMessage()));
    }
    Map<String, String> bad = new LinkedHashMap<>();
    JsonNode nameNode = object.remove("name");
    String name = nameNode != null && nameNode.isTextual() ? nameNode.asText() : null;
    if (nameNode != null && !nameNode.isTextual()) {
      bad.put("name", "name must be a string");
    } else {
      String problem = kind.nameProblem(name);
      if (problem != null) bad.put("name", problem);
    }
    Map<String, JsonNode> attributes = attributes(object, bad);
    bad.putAll(kind.problems(attributes, Origin.USER));
    if (!bad.isEmpty()) {
      return done(badFields(kind, name, bad));
    }
    return answer(kind, name, StatusCodes.CREATED, entities.create(kind, name, attributes, Origin.USER, BY));
  }

  private CompletionStage<HttpResponse> update(InfoKind kind, String name, Optional<String> ifMatch, String body) {
    if (kind.nameProblem(name) != null) {
      return done(notFound(kind, name));
    }
    Integer expected;
    ObjectNode object;
    try {
      expected = version(ifMatch);
      object = object(body, "{\"<attribute>\": ...}");
    } catch (BadRequest e) {
      return done(error(StatusCodes.BAD_REQUEST, e.getMessage()));
    }
    Map<String, String> bad = new LinkedHashMap<>();
    JsonNode nameNode = object.remove("name");
    if (nameNode != null && !name.equals(nameNode.asText())) {
      bad.put("name", "name cannot change (it is " + name + "); create a new " + kind.key() + " instead");
    }
    Map<String, JsonNode> changes = attributes(object, bad);
    bad.putAll(kind.problems(changes, Origin.USER));
    if (!bad.isEmpty()) {
      return done(badFields(kind, name, bad));
    }
    return answer(kind, name, StatusCodes.OK, entities.update(kind, name, changes, expected, Origin.USER, BY));
  }

  private CompletionStage<HttpResponse> delete(InfoKind kind, String name, Optional<String> ifMatch) {
    if (kind.nameProblem(name) != null) {
      return done(notFound(kind, name));
    }
    Integer expected;
    try {
      expected = version(ifMatch);
    } catch (BadRequest e) {
      return done(error(StatusCodes.BAD_REQUEST, e.getMessage()));
    }
    return answer(kind, name, StatusCodes.OK, entities.delete(kind, name, expected, BY));
  }

  /** The body's fields other than name, with {@code version} refused (it travels in If-Match). */
  private static Map<String, JsonNode> attributes(ObjectNode object, Map<String, String> bad) {
    Map<String, JsonNode> attributes = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals("version")) {
        bad.put("version", "version is not an attribute: send it as If-Match: \"<version>\"");
      } else {
        attributes.put(field.getKey(), field.getValue());
      }
    }
    return attributes;
  }

  /** {@code If-Match: "3"} → 3; {@code *} or none → null (any version). */
  private static Integer version(Optional<String> ifMatch) throws BadRequest {
    if (ifMatch.isEmpty() || ifMatch.get().isBlank() || ifMatch.get().trim().equals("*")) {
      return null;
    }
    Matcher m = VERSION_TAG.matcher(ifMatch.get().trim());
    if (!m.matches()) {
      throw new BadRequest("If-Match must be one version as the ETag gave it, like \"3\", not " + ifMatch.get());
    }
    return Integer.valueOf(m.group(1));
  }

  private ObjectNode object(String body, String shape) throws BadRequest {
    if (body.isBlank()) {
      throw new BadRequest("request body must be a JSON object like " + shape);
    }
    JsonNode node;
    try {
      node = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequest("request body is not JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    }
    if (!(node instanceof ObjectNode object)) {
      throw new BadRequest("request body must be a JSON object like " + shape);
    }
    return object;
  }

  /** An entity's answer: the object with its ETag, or the refusal as its HTTP status. */
  private CompletionStage<HttpResponse> answer(InfoKind kind, String name, StatusCode success,
      CompletionStage<InfoObject> reply) {
    return reply.thenApply(object -> {
      HttpResponse response = json(success, kind.render(object, true)).addHeader(etag(object.version()));
      return success == StatusCodes.CREATED
          ? response.addHeader(Location.create(Uri.create("/api/v1/" + kind.path() + "/" + name)))
          : response;
    }).exceptionally(e -> failure(kind, name, e));
  }

  private HttpResponse failure(InfoKind kind, String name, Throwable e) {
    Throwable cause = InfoEntities.unwrap(e);
    if (cause instanceof InfoRejectedException r) {
      return switch (r.reason()) {
        case NOT_FOUND -> error(StatusCodes.NOT_FOUND, r.getMessage());
        case EXISTS -> error(StatusCodes.CONFLICT, r.getMessage());
        case INVALID -> error(StatusCodes.BAD_REQUEST, r.getMessage());
        case VERSION_MISMATCH -> {
          ObjectNode body = json.createObjectNode().put("error", r.getMessage()).put("version", r.currentVersion());
          yield json(StatusCodes.PRECONDITION_FAILED, body).addHeader(etag(r.currentVersion()));
        }
      };
    }
    String who = kind.key() + (name == null ? " index" : " " + name);
    if (cause instanceof TimeoutException) {
      return error(StatusCodes.GATEWAY_TIMEOUT, who + " did not answer in time");
    }
    log.warn("asking {} failed", who, cause);
    return error(StatusCodes.INTERNAL_SERVER_ERROR, "asking " + who + " failed: " + cause);
  }

  private HttpResponse badFields(InfoKind kind, String name, Map<String, String> bad) {
    ObjectNode body = json.createObjectNode();
    body.put("error", "bad " + kind.key() + (name == null ? "" : " " + name) + ": " + String.join("; ", bad.values()));
    ArrayNode fields = body.putArray("fields");
    bad.keySet().forEach(fields::add);
    return json(StatusCodes.BAD_REQUEST, body);
  }

  private HttpResponse notFound(InfoKind kind, String name) {
    return error(StatusCodes.NOT_FOUND, "no " + kind.key() + " named " + name);
  }

  private static ETag etag(int version) {
    return ETag.create(EntityTag.create(String.valueOf(version), false));
  }

  private HttpResponse json(StatusCode status, JsonNode body) {
    try {
      return HttpResponse.create().withStatus(status)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON", e);
    }
  }

  private HttpResponse error(StatusCode status, String message) {
    return json(status, json.createObjectNode().put("error", message));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  private static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }
}
