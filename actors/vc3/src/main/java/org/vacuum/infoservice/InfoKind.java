package org.vacuum.infoservice;

import static org.vacuum.infoservice.InfoAttribute.system;
import static org.vacuum.infoservice.InfoAttribute.user;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.vacuum.infoservice.InfoAttribute.Type;
import org.vacuum.protocol.info.InfoProtocol.Command;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;
import org.vacuum.protocol.info.InfoProtocol.Origin;

/**
 * The kinds of VC3's information model (reference/vc3.md §1.5) and the schema of each: every
 * attribute VC3 persists, its JSON type, default, allowed values and owner (§9: the system owns
 * {@code state}, {@code state_reason} and the status fields; users own {@code action}, {@code
 * expiration} and the descriptive fields). Nodeinfo and Nodeset are separate kinds here (VC3 kept
 * both under the key {@code nodes}); VC3's "cluster" is {@link #TEMPLATE} and its "request" is
 * {@link #VIRTUAL_CLUSTER}, served under {@code /api/v1/clusters}.
 *
 * <p><b>Names</b> are lower-case letters, digits and dashes, starting with a letter or digit, at
 * most 63 characters: no dots, because a pilot queue is named {@code
 * <cluster>.<nodeset>.<allocation>} and split on dots. Allocation names alone may be dotted
 * ({@code <user>.<resource>}, or {@code <user>.<resource>.<label>} for a sub-allocation), each
 * part following the same rule: the queue name still parses, since the first two parts can never
 * hold a dot.
 *
 * <p>Validation here is a pure function ({@link #problems}); the entity applies it to every
 * change and the REST layer to every request body, so a 400 names every bad field at once.
 */
public enum InfoKind {

  USER("user", "users", "User", List.of(
      state(), user("first", Type.STRING), user("last", Type.STRING), user("email", Type.STRING),
      user("organization", Type.STRING), user("identity_id", Type.STRING), user("description", Type.STRING),
      user("displayname", Type.STRING), user("sshpubstring", Type.STRING), user("url", Type.STRING),
      user("docurl", Type.STRING))),

  PROJECT("project", "projects", "Project", List.of(
      state(), user("owner", Type.STRING), user("members", Type.LIST), user("allocations", Type.LIST),
      user("blueprints", Type.LIST), user("description", Type.STRING), user("displayname", Type.STRING),
      user("url", Type.STRING), user("docurl", Type.STRING), user("organization", Type.STRING))),

  RESOURCE("resource", "resources", "Resource", List.of(
      state(), user("owner", Type.STRING),
      // VC3 validates batch|cloud; its master also handles local (reference §2.6).
      user("accesstype", Type.STRING).oneOf("batch", "cloud", "local"),
      user("accessmethod", Type.STRING).oneOf("ssh", "gsissh", "sshproxy", "local"),
      // vac: pilots are machines of the machinetype named by cloudinstancetype on this space's factories.
      user("accessflavor", Type.STRING).oneOf("fork", "condor", "slurm", "sge", "pbs", "condor-ce", "ec2", "nova", "gce",
          "vac"),
      user("accesshost", Type.STRING), user("accessport", Type.INT), user("accessgateway", Type.STRING),
      user("nodeinfo", Type.STRING), user("scratchdir", Type.STRING).defaults(text("/home/${USER}")),
      user("sandboxdir", Type.STRING), user("gridresource", Type.STRING), user("cloudspotprice", Type.STRING),
      user("cloudinstancetype", Type.STRING), user("mfa", Type.BOOL).defaults(BooleanNode.FALSE),
      user("public", Type.BOOL).defaults(BooleanNode.FALSE), user("description", Type.STRING),
      user("displayname", Type.STRING), user("url", Type.STRING), user("docurl", Type.STRING),
      user("pubtokendocurl", Type.STRING), user("organization", Type.STRING))),

  NODEINFO("nodeinfo", "nodeinfo", "Nodeinfo", List.of(
      state(), user("owner", Type.STRING), user("cores", Type.INT).defaults(IntNode.valueOf(1)),
      // Per core: the master multiplies by cores (reference §1.5).
      user("memory_mb", Type.INT).defaults(IntNode.valueOf(1024)),
      user("storage_mb", Type.INT).defaults(IntNode.valueOf(1024)),
      user("native_os", Type.STRING).defaults(text("unknown")), user("features", Type.LIST),
      user("description", Type.STRING), user("displayname", Type.STRING), user("url", Type.STRING),
      user("docurl", Type.STRING))),

  NODESET("nodeset", "nodesets", "Nodeset", List.of(
      // A nodeset is also the head-node record of a virtual cluster, whose lifecycle these states are.
      state("new", "booting", "initializing", "running", "failure", "terminated"), stateReason(),
      user("owner", Type.STRING), user("node_number", Type.INT),
      user("app_type", Type.STRING).oneOf("htcondor", "workqueue", "spark", "jupyter+htcondor", "jupyter+spark",
          "reana+htcondor", "coffea+spark", "generic"),
      user("app_role", Type.STRING).oneOf("head-node", "worker-nodes"), user("nodeinfo", Type.STRING),
      system("app_host", Type.STRING), user("app_port", Type.INT), system("app_sectoken", Type.STRING).masked(),
      user("app_peaceful", Type.BOOL).defaults(BooleanNode.TRUE), user("app_lingertime", Type.INT),
      user("app_killorder", Type.STRING).oneOf("newest", "oldest"), user("environment", Type.STRING),
      user("description", Type.STRING), user("displayname", Type.STRING), user("url", Type.STRING),
      user("docurl", Type.STRING))),

  TEMPLATE("cluster", "templates", "ClusterTemplate", List.of(
      state(), user("owner", Type.STRING), user("nodesets", Type.LIST),
      user("public", Type.BOOL).defaults(BooleanNode.FALSE), user("description", Type.STRING),
      user("displayname", Type.STRING), user("url", Type.STRING), user("docurl", Type.STRING))),

  ENVIRONMENT("environment", "environments", "Environment", List.of(
      state(), user("owner", Type.STRING), user("packagelist", Type.LIST), user("envmap", Type.MAP),
      user("files", Type.MAP), user("command", Type.STRING), user("required_os", Type.STRING),
      user("builder_extra_args", Type.LIST), user("description", Type.STRING), user("displayname", Type.STRING),
      user("url", Type.STRING), user("docurl", Type.STRING))),

  ALLOCATION("allocation", "allocations", "Allocation", List.of(
      state("new", "configured", "ready", "validation_failure", "failure"), user("owner", Type.STRING),
      user("resource", Type.STRING),
      user("type", Type.STRING).oneOf("unlimited", "quota", "cumulative", "limited").defaults(text("unlimited")),
      user("accountname", Type.STRING), user("action", Type.STRING).oneOf("new", "validate").defaults(text("new")),
      stateReason(), user("quantity", Type.INT), user("units", Type.STRING).oneOf("corehours", "su", "nodes"),
      system("sectype", Type.STRING).oneOf("ssh-rsa", "ssh-dsa", "x509"), system("pubtoken", Type.STRING),
      system("privtoken", Type.STRING).masked(), user("description", Type.STRING),
      user("displayname", Type.STRING), user("url", Type.STRING), user("docurl", Type.STRING),
      user("pubtokendocurl", Type.STRING))),

  VIRTUAL_CLUSTER("request", "clusters", "VirtualCluster", List.of(
      state("new", "initializing", "pending", "running", "terminating", "cleanup", "terminated", "failure"),
      user("owner", Type.STRING),
      user("action", Type.STRING).oneOf("new", "run", "terminate", "relaunch").defaults(text("new")),
      stateReason(),
      // UTC, as VC3 writes it; null = never expires.
      user("expiration", Type.STRING).matching("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}"),
      user("project", Type.STRING),
      // The generated factory configuration embeds the head node's secret and the allocations' keys.
      system("queuesconf", Type.STRING).masked(), system("authconf", Type.STRING).masked(),
      system("headnode", Type.STRING), user("policy", Type.STRING).oneOf("static-balanced", "demand").defaults(text("static-balanced")),
      user("allocations", Type.LIST), user("environments", Type.LIST), user("cluster", Type.STRING),
      system("statusraw", Type.OBJECT), system("statusinfo", Type.OBJECT), user("description", Type.STRING),
      user("displayname", Type.STRING), user("url", Type.STRING), user("docurl", Type.STRING),
      user("organization", Type.STRING)));

  /** What a name must look like (see the class comment). */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern DOTTED_NAME =
      Pattern.compile("[a-z0-9][a-z0-9-]{0,62}(\\.[a-z0-9][a-z0-9-]{0,62}){0,2}");

  /** What REST shows instead of a secret attribute that is set. */
  public static final String MASK = "********";

  static final ObjectMapper JSON = new ObjectMapper();

  private final String key;
  private final String path;
  private final EntityTypeKey<Command> entityKey;
  private final Map<String, InfoAttribute> attributes;

  InfoKind(String key, String path, String entityName, List<InfoAttribute> attributes) {
    this.key = key;
    this.path = path;
    this.entityKey = EntityTypeKey.create(Command.class, entityName);
    this.attributes = InfoAttribute.byName(attributes);
  }

  /** VC3's name for the kind (its infoservice key; {@code cluster} and {@code request} included). */
  public String key() {
    return key;
  }

  /** The path segment under {@code /api/v1/}, also the key of a listing's JSON object. */
  public String path() {
    return path;
  }

  public EntityTypeKey<Command> entityKey() {
    return entityKey;
  }

  /** The schema, in VC3's attribute order. */
  public Map<String, InfoAttribute> attributes() {
    return attributes;
  }

  public static Optional<InfoKind> byKey(String key) {
    return Arrays.stream(values()).filter(k -> k.key.equals(key)).findFirst();
  }

  public static Optional<InfoKind> byPath(String path) {
    return Arrays.stream(values()).filter(k -> k.path.equals(path)).findFirst();
  }

  /** What is wrong with {@code name} for this kind, or null if nothing. */
  public String nameProblem(String name) {
    if (name == null || name.isEmpty()) {
      return "name is required";
    }
    if (this == ALLOCATION) {
      return DOTTED_NAME.matcher(name).matches() ? null
          : "name \"" + name + "\" must be <user>.<resource>[.<label>], each part matching " + NAME.pattern();
    }
    return NAME.matcher(name).matches() ? null : "name \"" + name + "\" must match " + NAME.pattern()
        + (name.contains(".") ? " (no dots: pilot queue names are <cluster>.<nodeset>.<allocation>)" : "");
  }

  /**
   * Every problem with these attribute values when {@code origin} sets them, by attribute: unknown
   * attributes, wrong types, values not allowed, and system-owned attributes set by a user. Empty =
   * acceptable.
   */
  public Map<String, String> problems(Map<String, JsonNode> values, Origin origin) {
    Map<String, String> problems = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : values.entrySet()) {
      InfoAttribute attribute = attributes.get(e.getKey());
      if (attribute == null) {
        problems.put(e.getKey(), "unknown attribute \"" + e.getKey() + "\" (a " + key + " has " + attributes.keySet() + ")");
      } else if (origin == Origin.USER && attribute.owner() == InfoAttribute.Owner.SYSTEM) {
        problems.put(e.getKey(), "attribute \"" + e.getKey() + "\" is set by vacuum, not by users");
      } else {
        String problem = attribute.problem(e.getValue());
        if (problem != null) {
          problems.put(e.getKey(), problem);
        }
      }
    }
    return problems;
  }

  /**
   * An attribute of an object as its readers see it: the stored value, else the default, else
   * JSON null. For the system side, e.g. {@code VIRTUAL_CLUSTER.value(request, "action").asText()}.
   */
  public JsonNode value(InfoObject object, String attribute) {
    InfoAttribute declared = attributes.get(attribute);
    if (declared == null) {
      throw new IllegalArgumentException("a " + key + " has no attribute \"" + attribute + "\"");
    }
    String stored = object.attributes().get(attribute);
    return stored == null ? declared.defaultValue() : parse(stored);
  }

  /** A string attribute of an object, or null when unset. */
  public String text(InfoObject object, String attribute) {
    JsonNode value = value(object, attribute);
    return value.isNull() ? null : value.asText();
  }

  /** A new object's attributes: the defaults, overlaid with what the creator gave. */
  Map<String, JsonNode> withDefaults(Map<String, JsonNode> given) {
    Map<String, JsonNode> all = new LinkedHashMap<>();
    attributes.values().stream().filter(a -> !a.defaultValue().isNull())
        .forEach(a -> all.put(a.name(), a.defaultValue()));
    all.putAll(given);
    return all;
  }

  /**
   * The object as REST shows it: {@code name}, {@code version}, then every attribute of the
   * schema (never set = its default, or null), secrets masked when {@code maskSecrets}.
   */
  public ObjectNode render(InfoObject object, boolean maskSecrets) {
    ObjectNode node = JSON.createObjectNode();
    node.put("name", object.name());
    node.put("version", object.version());
    for (InfoAttribute attribute : attributes.values()) {
      JsonNode value = value(object, attribute.name());
      if (maskSecrets && attribute.secret() && !value.isNull()) {
        value = TextNode.valueOf(MASK);
      }
      node.set(attribute.name(), value);
    }
    return node;
  }

  /** JSON text by attribute, as the protocol carries values. */
  public static Map<String, String> toText(Map<String, ? extends JsonNode> values) {
    Map<String, String> text = new LinkedHashMap<>();
    values.forEach((k, v) -> text.put(k, (v == null ? NullNode.getInstance() : v).toString()));
    return text;
  }

  /** Values by attribute from the protocol's JSON text; text that is not JSON is an error naming the attribute. */
  public static Map<String, JsonNode> fromText(Map<String, String> text) {
    Map<String, JsonNode> values = new LinkedHashMap<>();
    text.forEach((k, v) -> values.put(k, parseAttribute(k, v)));
    return values;
  }

  /** Plain Java values (String, Integer, Boolean, List, Map, JsonNode, null) as JSON, for the system side. */
  public static Map<String, JsonNode> fromJava(Map<String, ?> values) {
    Map<String, JsonNode> nodes = new LinkedHashMap<>();
    values.forEach((k, v) -> nodes.put(k, v == null ? NullNode.getInstance() : v instanceof JsonNode n ? n : JSON.valueToTree(v)));
    return nodes;
  }

  static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + text, e);
    }
  }

  private static JsonNode parseAttribute(String attribute, String text) {
    try {
      return text == null ? NullNode.getInstance() : JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("attribute \"" + attribute + "\": value is not JSON text: " + text, e);
    }
  }

  private static InfoAttribute state(String... allowed) {
    InfoAttribute state = system("state", Type.STRING).defaults(text("new"));
    return allowed.length == 0 ? state : state.oneOf(allowed);
  }

  private static InfoAttribute stateReason() {
    return system("state_reason", Type.STRING);
  }

  private static JsonNode text(String value) {
    return TextNode.valueOf(value);
  }

  /** Every kind, for loops that set up one thing per kind. */
  public static Stream<InfoKind> all() {
    return Arrays.stream(values());
  }
}
