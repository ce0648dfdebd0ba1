package org.vacuum.config.vac;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A vacuum pipe's JSON (reference/vac.md §7.1), checked to be one: an object with a {@code
 * machinetypes} list of objects. Entries are kept as JSON gave them (String, Number, Boolean,
 * List, Map, null); {@link PipeExpansion} decides what they mean.
 *
 * @param cacheSeconds the pipe's {@code cache_seconds}, or Vac's {@value VacuumPipes#DEFAULT_CACHE_SECONDS}
 *     when it is missing or not a non-negative number
 * @param json the whole pipe re-serialised with sorted keys (what the cache holds, as Vac re-serialised it)
 * @param digest SHA-256 of {@code json}: equal digests mean an equal pipe
 */
public record PipeContent(int cacheSeconds, List<Map<String, Object>> machinetypes, String json, String digest) {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  /**
   * Parses a pipe as fetched.
   *
   * @throws IOException saying why this is not a pipe (not JSON, not an object, no machinetypes list)
   */
  public static PipeContent parse(byte[] bytes) throws IOException {
    return of(object(bytes));
  }

  /** The top-level JSON object of {@code bytes}. */
  static Map<String, Object> object(byte[] bytes) throws IOException {
    Object top;
    try {
      top = JSON.readValue(bytes, Object.class);
    } catch (JsonProcessingException e) {
      String what = e.getOriginalMessage();
      // Jackson appends where the unclosed array or object began, in a form meant for developers.
      int marker = what.indexOf(" (start marker");
      what = (marker > 0 ? what.substring(0, marker) : what).replace('\n', ' ');
      throw new IOException("not JSON (" + what + " at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr() + ")", e);
    }
    if (!(top instanceof Map<?, ?>)) {
      throw new IOException("not a JSON object with a machinetypes list");
    }
    return JSON.convertValue(top, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  static PipeContent of(Map<String, Object> pipe) throws IOException {
    Object list = pipe.get("machinetypes");
    if (list == null) {
      // Vac skipped such a pipe too (multipart pipes since 03.00 always have the list).
      throw new IOException("has no machinetypes list (a pipe of Vac 03.00 or later is needed)");
    }
    if (!(list instanceof List<?> entries)) {
      throw new IOException("its machinetypes is not a list");
    }
    List<Map<String, Object>> machinetypes = new ArrayList<>();
    int i = 0;
    for (Object entry : entries) {
      if (!(entry instanceof Map<?, ?>)) {
        throw new IOException("machinetypes[" + i + "] is not a JSON object");
      }
      machinetypes.add(JSON.convertValue(entry, new TypeReference<LinkedHashMap<String, Object>>() {}));
      i++;
    }
    int cacheSeconds = VacuumPipes.DEFAULT_CACHE_SECONDS;
    if (pipe.get("cache_seconds") instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= Integer.MAX_VALUE) {
      cacheSeconds = n.intValue();
    }
    String json = serialise(pipe);
    return new PipeContent(cacheSeconds, Collections.unmodifiableList(machinetypes), json, sha256(json));
  }

  static String serialise(Map<String, Object> pipe) {
    try {
      return JSON.writeValueAsString(pipe);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("values read from JSON serialise again", e);
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
