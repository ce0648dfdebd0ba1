package org.vacuum.infoservice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One attribute of an information kind: its JSON type, default, allowed values, and who may set
 * it. A value of {@code null} always means "unset" and is accepted for every attribute.
 *
 * @param defaultValue the value a new object gets when the creator does not give one (JSON null if none)
 * @param allowed the only string values accepted (empty = any)
 * @param pattern a regular expression a string value must match entirely (null = any)
 * @param secret never shown over REST (masked), though stored and given to the system side
 */
public record InfoAttribute(String name, Type type, JsonNode defaultValue, List<String> allowed, Pattern pattern,
    Owner owner, boolean secret) {

  /** The JSON shapes an attribute may take. */
  public enum Type {
    STRING("a string"),
    INT("an integer"),
    BOOL("true or false"),
    LIST("a list of strings"),
    MAP("an object of strings"),
    // Status documents written by the system (statusraw, statusinfo): any nesting.
    OBJECT("an object");

    final String description;

    Type(String description) {
      this.description = description;
    }
  }

  /** Who writes an attribute (reference/vc3.md §9): users through REST, or vacuum's own state machines. */
  public enum Owner { USER, SYSTEM }

  public InfoAttribute {
    allowed = List.copyOf(allowed);
    defaultValue = defaultValue == null ? NullNode.getInstance() : defaultValue;
  }

  /** What is wrong with {@code value} for this attribute, or null if nothing. */
  String problem(JsonNode value) {
    if (value == null || value.isNull()) {
      return null;
    }
    boolean typed = switch (type) {
      case STRING -> value.isTextual();
      case INT -> value.isIntegralNumber() && value.canConvertToInt();
      case BOOL -> value.isBoolean();
      case LIST -> value.isArray() && allMatch(value.elements());
      case MAP -> value.isObject() && allMatch(value.elements());
      case OBJECT -> value.isObject();
    };
    if (!typed) {
      return "attribute \"" + name + "\" must be " + type.description + ", not " + describe(value);
    }
    if (!allowed.isEmpty() && !allowed.contains(value.asText())) {
      return "attribute \"" + name + "\" must be one of " + allowed + " (or null), not \"" + value.asText() + "\"";
    }
    if (pattern != null && !pattern.matcher(value.asText()).matches()) {
      return "attribute \"" + name + "\" must match " + pattern.pattern() + ", not \"" + value.asText() + "\"";
    }
    return null;
  }

  private static boolean allMatch(Iterator<JsonNode> elements) {
    List<JsonNode> all = new ArrayList<>();
    elements.forEachRemaining(all::add);
    return all.stream().allMatch(JsonNode::isTextual);
  }

  private static String describe(JsonNode value) {
    if (value.isArray()) return "a list containing " + kinds(value.elements());
    if (value.isObject() && !value.isEmpty()) return "an object with values " + kinds(value.elements());
    return value.getNodeType().toString().toLowerCase() + " " + value;
  }

  private static String kinds(Iterator<JsonNode> elements) {
    List<String> kinds = new ArrayList<>();
    elements.forEachRemaining(e -> {
      String k = e.getNodeType().toString().toLowerCase();
      if (!kinds.contains(k)) kinds.add(k);
    });
    return String.join(", ", kinds);
  }

  /** Builder-style helpers, so the schema in {@link InfoKind} reads as a table. */
  static InfoAttribute user(String name, Type type) {
    return new InfoAttribute(name, type, null, List.of(), null, Owner.USER, false);
  }

  static InfoAttribute system(String name, Type type) {
    return new InfoAttribute(name, type, null, List.of(), null, Owner.SYSTEM, false);
  }

  InfoAttribute defaults(JsonNode value) {
    return new InfoAttribute(name, type, value, allowed, pattern, owner, secret);
  }

  InfoAttribute oneOf(String... values) {
    return new InfoAttribute(name, type, defaultValue, List.of(values), pattern, owner, secret);
  }

  InfoAttribute matching(String regex) {
    return new InfoAttribute(name, type, defaultValue, allowed, Pattern.compile(regex), owner, secret);
  }

  InfoAttribute masked() {
    return new InfoAttribute(name, type, defaultValue, allowed, pattern, owner, true);
  }

  /** Attributes by name, for look-ups. */
  static Map<String, InfoAttribute> byName(List<InfoAttribute> attributes) {
    Map<String, InfoAttribute> map = new LinkedHashMap<>();
    for (InfoAttribute a : attributes) {
      if (map.put(a.name(), a) != null) {
        throw new IllegalStateException("attribute " + a.name() + " declared twice");
      }
    }
    return map;
  }
}
