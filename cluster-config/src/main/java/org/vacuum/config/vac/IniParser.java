package org.vacuum.config.vac;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads INI files in the dialect of Python 2's {@code RawConfigParser}, which is what Vac used for
 * vac.conf, so that a file Vac accepted means the same here.
 *
 * <p>The dialect, line by line:
 *
 * <ul>
 *   <li>a blank line, or one whose first character is {@code #} or {@code ;}, is skipped; so is a
 *       line whose first word is {@code rem} (any case) with no whitespace before it. A comment
 *       must start in the first column: an indented {@code # ...} is a continuation line;
 *   <li>a line starting with whitespace while an option is open continues that option: its
 *       stripped text is appended after a {@code \n}; blank lines and comments in between do not
 *       close the option, a section header does;
 *   <li>{@code [header]} at the start of a line opens the section {@code header} (case-sensitive,
 *       not stripped; anything after the {@code ]} is ignored). A section seen again, in the same
 *       file or a later one, is merged. {@code [DEFAULT]} holds options every section inherits;
 *   <li>{@code name = value} or {@code name: value}: the first {@code =} or {@code :} separates;
 *       the name is right-stripped and lower-cased (ASCII), the value stripped. If the value holds
 *       a {@code ;}, the first {@code ;} starts a comment when the character before it is
 *       whitespace (Python 2 did this; Python 3 does not). A value of exactly {@code ""} is empty.
 *       A later value for the same option replaces the earlier one;
 *   <li>anything else is an error, and so is an option before the file's first section header
 *       (each file must open its own section).
 * </ul>
 *
 * Every value keeps the {@code file:line} of the line that set it, for error messages. One
 * deliberate leniency: a UTF-8 byte-order mark at the start of a file is ignored (Python 2 would
 * have failed on it). Not thread-safe: build one document, then share the {@link Document}.
 */
public final class IniParser {

  /** The section whose options every other section inherits, as in ConfigParser. */
  public static final String DEFAULT_SECTION = "DEFAULT";

  /**
   * Where a section header or an option was written. A line of 0 means a value that came from
   * elsewhere than a file line (a vacuum pipe's entry), named by {@code file} alone.
   */
  public record Origin(String file, int line) {
    @Override
    public String toString() {
      return line > 0 ? file + ":" + line : file;
    }
  }

  /** An option's value and the line that set it last. */
  public record Value(String text, Origin origin) {}

  /**
   * A section after merging every file.
   *
   * @param headers where its header was written, first one first
   * @param options its own options (not those inherited from {@code [DEFAULT]}), lower-cased names,
   *     in the order they first appeared
   */
  public record Section(String name, List<Origin> headers, Map<String, Value> options) {}

  /**
   * Everything read, merged.
   *
   * @param sections in the order of their first header, {@code [DEFAULT]} excluded
   * @param defaults the options of {@code [DEFAULT]}
   */
  public record Document(Map<String, Section> sections, Map<String, Value> defaults) {

    public Optional<Section> section(String name) {
      return Optional.ofNullable(sections.get(name));
    }

    /**
     * A section's options as ConfigParser's {@code items()} and {@code get()} see them: {@code
     * [DEFAULT]}'s first, then the section's own, which win. Empty if there is no such section.
     */
    public Map<String, Value> items(String name) {
      Section section = sections.get(name);
      if (section == null) {
        return Map.of();
      }
      Map<String, Value> items = new LinkedHashMap<>(defaults);
      items.putAll(section.options());
      return Collections.unmodifiableMap(items);
    }

    /**
     * SHA-256 (hex) of the merged content in a canonical order (sections, then options, by name),
     * so that moving an option to another file, reordering, or editing comments leaves it unchanged.
     */
    public String fingerprint() {
      MessageDigest digest;
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
      // Length-prefixed strings keep "a"+"bc" and "ab"+"c" apart.
      update(digest, "defaults");
      updateOptions(digest, defaults);
      for (Section section : new TreeMap<>(sections).values()) {
        update(digest, "section");
        update(digest, section.name());
        updateOptions(digest, section.options());
      }
      return HexFormat.of().formatHex(digest.digest());
    }

    private static void updateOptions(MessageDigest digest, Map<String, Value> options) {
      update(digest, Integer.toString(options.size()));
      for (Map.Entry<String, Value> option : new TreeMap<>(options).entrySet()) {
        update(digest, option.getKey());
        update(digest, option.getValue().text());
      }
    }

    private static void update(MessageDigest digest, String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      digest.update(bytes);
    }
  }

  private static final class Building {
    final String name;
    final List<Origin> headers = new ArrayList<>();
    final Map<String, Value> options = new LinkedHashMap<>();

    Building(String name) {
      this.name = name;
    }
  }

  private final Map<String, Building> sections = new LinkedHashMap<>();
  private final Building defaults = new Building(DEFAULT_SECTION);

  /**
   * Reads one file into the document, as ConfigParser's {@code read()}: a file that does not exist
   * is skipped and false returned.
   *
   * @throws IOException if the file exists but cannot be read
   * @throws VacConfException if a line is not in the dialect
   */
  public boolean read(Path file) throws IOException, VacConfException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return false;
    }
    parse(file.toString(), decode(bytes));
    return true;
  }

  /** Decodes a file's bytes as UTF-8; bytes that are not UTF-8 become U+FFFD rather than failing. */
  static String decode(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalStateException("a replacing decoder does not throw", e);
    }
  }

  /**
   * Parses one file's text into the document.
   *
   * @param fileName used in origins and error messages
   * @throws VacConfException {@code fileName:line: what} for the first line that is not in the dialect
   */
  public void parse(String fileName, String text) throws VacConfException {
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    Building section = null;
    String option = null;
    int lineNumber = 0;
    int start = 0;
    // Lines end at '\n' only, as Python's readline(); a '\r' stays in the line and is stripped as whitespace.
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      String line = text.substring(start, end);
      start = end + 1;
      lineNumber++;
      Origin origin = new Origin(fileName, lineNumber);

      if (strip(line).isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';') {
        continue;
      }
      if (isRemark(line)) {
        continue;
      }
      if (isSpace(line.charAt(0)) && section != null && option != null) {
        String more = strip(line);
        Value value = section.options.get(option);
        section.options.put(option, new Value(value.text() + "\n" + more, value.origin()));
        continue;
      }
      String header = header(line);
      if (header != null) {
        if (header.equals(DEFAULT_SECTION)) {
          section = defaults;
        } else {
          section = sections.computeIfAbsent(header, Building::new);
        }
        section.headers.add(origin);
        option = null;
        continue;
      }
      if (section == null) {
        throw VacConfException.at(origin, "'" + strip(line) + "' comes before any [section] header: every file"
            + " must start its options with a header such as [settings] or [machinetype NAME]");
      }
      int separator = firstSeparator(line);
      if (separator < 0 || isSpace(line.charAt(0)) || separator == 0) {
        throw VacConfException.at(origin, "cannot read '" + strip(line) + "': expected [section], name = value,"
            + " a line continuing a value (starting with whitespace), or a comment (starting with # or ;)");
      }
      String name = asciiLower(rstrip(line.substring(0, separator)));
      String value = lstrip(line.substring(separator + 1));
      int semicolon = value.indexOf(';');
      // Python 2 looked at value[pos-1]; for a leading ';' that index is -1, the last character.
      if (semicolon >= 0 && isSpace(value.charAt(semicolon == 0 ? value.length() - 1 : semicolon - 1))) {
        value = value.substring(0, semicolon);
      }
      value = strip(value);
      if (value.equals("\"\"")) {
        value = "";
      }
      section.options.put(name, new Value(value, origin));
      option = name;
    }
  }

  /** What has been read so far, merged. */
  public Document document() {
    Map<String, Section> done = new LinkedHashMap<>();
    for (Building b : sections.values()) {
      done.put(b.name, freeze(b));
    }
    return new Document(Collections.unmodifiableMap(done),
        Collections.unmodifiableMap(new LinkedHashMap<>(defaults.options)));
  }

  private static Section freeze(Building b) {
    return new Section(b.name, List.copyOf(b.headers), Collections.unmodifiableMap(new LinkedHashMap<>(b.options)));
  }

  /** ConfigParser's {@code \[([^]]+)\]} matched at the start of the line, or null. */
  private static String header(String line) {
    if (line.charAt(0) != '[') {
      return null;
    }
    int close = line.indexOf(']', 1);
    return close > 1 ? line.substring(1, close) : null;
  }

  /** The first '=' or ':', which ends the option name (a name can hold neither). */
  private static int firstSeparator(String line) {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '=' || c == ':') {
        return i;
      }
    }
    return -1;
  }

  /** Python 2's "rem" comment: the first word is rem in any case, with nothing before it. */
  private static boolean isRemark(String line) {
    char first = line.charAt(0);
    if (first != 'r' && first != 'R') {
      return false;
    }
    int end = 0;
    while (end < line.length() && !isSpace(line.charAt(end))) {
      end++;
    }
    return line.substring(0, end).equalsIgnoreCase("rem");
  }

  /** Python 2's whitespace for byte strings: space, \t, \n, \r, \v, \f. */
  static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u000B' || c == '\f';
  }

  /** Python's {@code str.strip()}. */
  static String strip(String s) {
    return rstrip(lstrip(s));
  }

  private static String lstrip(String s) {
    int i = 0;
    while (i < s.length() && isSpace(s.charAt(i))) {
      i++;
    }
    return s.substring(i);
  }

  private static String rstrip(String s) {
    int i = s.length();
    while (i > 0 && isSpace(s.charAt(i - 1))) {
      i--;
    }
    return s.substring(0, i);
  }

  /** Python 2's {@code str.lower()} on bytes: only A-Z change. */
  static String asciiLower(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
    }
    return b.toString();
  }
}
