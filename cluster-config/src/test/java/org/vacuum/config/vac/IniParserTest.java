package org.vacuum.config.vac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.config.vac.IniParser.Document;
import org.vacuum.config.vac.IniParser.Origin;

/** The Python 2 RawConfigParser dialect, edge by edge. */
class IniParserTest {

  @TempDir Path dir;

  private static Document parse(String text) throws VacConfException {
    IniParser p = new IniParser();
    p.parse("f.conf", text);
    return p.document();
  }

  private static String value(String text, String option) throws VacConfException {
    return parse(text).items("s").get(option).text();
  }

  @Test
  void equalsOrColonSeparateAndTheFirstOneWins() throws Exception {
    Document d = parse("""
        [s]
        a = 1
        b: 2
        url = http://example.com:80/x
        c: d=e
        spaced  name   =  v
        """);
    Map<String, IniParser.Value> s = d.items("s");
    assertEquals("1", s.get("a").text());
    assertEquals("2", s.get("b").text());
    assertEquals("http://example.com:80/x", s.get("url").text());
    assertEquals("d=e", s.get("c").text());
    assertEquals("v", s.get("spaced  name").text(), "a name may hold spaces; only its end is stripped");
  }

  @Test
  void optionNamesAreLowerCasedAndValuesStrippedButKeepTheirCase() throws Exception {
    Document d = parse("[s]\nVAC_Space \t=\t  Vac01.Example.COM  \t\n");
    assertEquals("Vac01.Example.COM", d.items("s").get("vac_space").text());
  }

  @Test
  void sectionNamesAreCaseSensitiveAndNotStripped() throws Exception {
    Document d = parse("[Settings]\na=1\n[settings]\na=2\n[ settings ]\na=3\n");
    assertEquals(List.of("Settings", "settings", " settings "), List.copyOf(d.sections().keySet()));
    assertEquals("2", d.items("settings").get("a").text());
  }

  @Test
  void textAfterTheClosingBracketOfAHeaderIsIgnored() throws Exception {
    Document d = parse("[settings] ; the main section\na=1\n[machinetype x]]\nb=2\n");
    assertEquals("1", d.items("settings").get("a").text());
    assertEquals("2", d.items("machinetype x").get("b").text());
  }

  @Test
  void continuationLinesAreStrippedAndJoinedWithNewlines() throws Exception {
    Document d = parse("""
        [s]
        factories = f1.example.com
            f2.example.com
        \tf3.example.com   \s
        next = 1
        """);
    assertEquals("f1.example.com\nf2.example.com\nf3.example.com", d.items("s").get("factories").text());
    assertEquals("1", d.items("s").get("next").text());
  }

  @Test
  void blankLinesAndCommentsDoNotEndAContinuation() throws Exception {
    assertEquals("a\nb\nc", value("[s]\nx = a\n\n# comment\n  b\n; another\n\n  c\n", "x"));
  }

  @Test
  void anIndentedCommentIsPartOfTheValue() throws Exception {
    assertEquals("a\n# not a comment", value("[s]\nx = a\n    # not a comment\n", "x"));
  }

  @Test
  void aHeaderEndsTheContinuation() throws Exception {
    VacConfException e = assertThrows(VacConfException.class, () -> parse("[s]\nx = a\n[t]\n  b\n"));
    assertTrue(e.getMessage().startsWith("f.conf:4: "), e.getMessage());
  }

  @Test
  void anIndentedHeaderAfterAnOptionIsContinuationText() throws Exception {
    Document d = parse("[s]\nx = a\n  [t]\n");
    assertEquals("a\n[t]", d.items("s").get("x").text());
    assertFalse(d.section("t").isPresent());
  }

  @Test
  void commentsOnlyStartInTheFirstColumn() throws Exception {
    Document d = parse("# hash\n; semicolon\n[s]\n#a = 1\n;b = 2\nrem c = 3\nREM\nRem d = 4\nremark = 5\n");
    assertEquals(Map.of("remark", "5"), texts(d, "s"));
  }

  @Test
  void remIsACommentWordSoAnOptionNamedRemIsLost() throws Exception {
    // Python 2's ConfigParser skipped lines whose first word is "rem"; Vac inherited that.
    assertEquals(Map.of(), texts(parse("[s]\nrem = 1\n"), "s"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
      "a = b ;comment      | b",
      "a = b\t;comment     | b",
      "a = b;c             | b;c",
      "a = b # not comment | b # not comment",
      "a = b;c ;d          | b;c ;d",
      "a : b ;c            | b",
      "a = http://x/;y     | http://x/;y",
      "a = ;comment        | ;comment",
      "a = \"\"            | ''",
      "a = \"x\"           | \"x\"",
      "a =                 | ''",
  })
  void inlineCommentsAndEmptyValuesAsPython2(String line, String expected) throws Exception {
    // Python 2 strips from the first ';' only when whitespace precedes it; '#' is never inline.
    assertEquals(expected == null ? "" : expected, value("[s]\n" + line.stripTrailing() + "\n", "a"));
  }

  @Test
  void aLeadingSemicolonIsACommentWhenTheValueEndsInWhitespace() throws Exception {
    // Python 2 looked at value[-1] for a ';' at position 0: a quirk, but Vac read files that way.
    assertEquals("", value("[s]\na = ;comment \n", "a"));
    assertEquals("", value("[s]\na = ;comment\r\n", "a"));
  }

  @Test
  void laterValuesWinAndSectionsMergeWithinAFile() throws Exception {
    Document d = parse("[s]\na = 1\nb = 1\n[t]\nc = 1\n[s]\na = 2\n");
    assertEquals(Map.of("a", "2", "b", "1"), texts(d, "s"));
    assertEquals(new Origin("f.conf", 7), d.items("s").get("a").origin());
    assertEquals(List.of(new Origin("f.conf", 1), new Origin("f.conf", 6)), d.section("s").orElseThrow().headers());
  }

  @Test
  void sectionsMergeAcrossFilesAndLaterFilesWin() throws Exception {
    Path first = dir.resolve("10-site.conf");
    Path second = dir.resolve("20-host.conf");
    Files.writeString(first, "[settings]\nvac_space = vac01.example.com\nmb_per_processor = 2048\n");
    Files.writeString(second, "# host\n[settings]\nmb_per_processor = 4096\n");
    IniParser p = new IniParser();
    assertTrue(p.read(first));
    assertTrue(p.read(second));
    assertFalse(p.read(dir.resolve("missing.conf")));
    Document d = p.document();
    assertEquals(Map.of("vac_space", "vac01.example.com", "mb_per_processor", "4096"), texts(d, "settings"));
    assertEquals(new Origin(second.toString(), 3), d.items("settings").get("mb_per_processor").origin());
    assertEquals(new Origin(first.toString(), 2), d.items("settings").get("vac_space").origin());
  }

  @Test
  void everyFileMustOpenASectionBeforeItsOptions() throws Exception {
    IniParser p = new IniParser();
    p.parse("a.conf", "[settings]\nx = 1\n");
    VacConfException e = assertThrows(VacConfException.class, () -> p.parse("b.conf", "# continues a.conf?\ny = 2\n"));
    assertTrue(e.getMessage().startsWith("b.conf:2: 'y = 2' comes before any [section] header"), e.getMessage());
  }

  @Test
  void anIndentedLineBeforeAnySectionIsAnError() {
    VacConfException e = assertThrows(VacConfException.class, () -> parse("\n  x = 1\n"));
    assertTrue(e.getMessage().startsWith("f.conf:2: "), e.getMessage());
  }

  @Test
  void anIndentedLineRightAfterAHeaderIsAnError() {
    VacConfException e = assertThrows(VacConfException.class, () -> parse("[s]\n  x = 1\n"));
    assertTrue(e.getMessage().startsWith("f.conf:2: cannot read 'x = 1'"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"just words", "= value", ": value", "[]", "[unclosed"})
  void linesThatAreNeitherHeaderNorOptionAreErrorsWithTheirLine(String line) {
    VacConfException e = assertThrows(VacConfException.class, () -> parse("[s]\na = 1\n" + line + "\n"));
    assertTrue(e.getMessage().startsWith("f.conf:3: cannot read"), e.getMessage());
  }

  @Test
  void defaultSectionIsInheritedByEverySectionWhichCanOverrideIt() throws Exception {
    Document d = parse("[DEFAULT]\nfizzle_seconds = 600\n[machinetype a]\n[machinetype b]\nfizzle_seconds = 900\n");
    assertEquals("600", d.items("machinetype a").get("fizzle_seconds").text());
    assertEquals("900", d.items("machinetype b").get("fizzle_seconds").text());
    assertFalse(d.sections().containsKey("DEFAULT"));
    assertTrue(d.section("machinetype a").orElseThrow().options().isEmpty(), "inherited options are not its own");
  }

  @Test
  void carriageReturnsAreWhitespaceAndAByteOrderMarkIsIgnored() throws Exception {
    Document d = parse("\uFEFF[s]\r\na = 1\r\nb = x\r\n  y\r\n");
    assertEquals(Map.of("a", "1", "b", "x\ny"), texts(d, "s"));
  }

  @Test
  void aLastLineWithoutNewlineIsRead() throws Exception {
    assertEquals("1", value("[s]\na = 1", "a"));
  }

  @Test
  void bytesThatAreNotUtf8DoNotFailTheRead() throws Exception {
    Path f = dir.resolve("latin1.conf");
    Files.write(f, "[s]\ndescription = caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    IniParser p = new IniParser();
    p.read(f);
    assertEquals("caf\uFFFD", p.document().items("s").get("description").text());
  }

  @Test
  void theFingerprintIgnoresOrderFilesAndCommentsButNotValues() throws Exception {
    String a = parse("[s]\na = 1\nb = 2\n[t]\nc = 3\n").fingerprint();
    String reordered = parse("# moved\n[t]\nc = 3\n[s]\nb = 2\na=1 ; one\n").fingerprint();
    IniParser split = new IniParser();
    split.parse("x.conf", "[s]\na = 1\n");
    split.parse("y.conf", "[t]\nc = 3\n[s]\nb = 2\n");
    assertEquals(a, reordered);
    assertEquals(a, split.document().fingerprint());
    assertNotEquals(a, parse("[s]\na = 1\nb = 22\n[t]\nc = 3\n").fingerprint());
    assertNotEquals(a, parse("[s]\na = 1\nb = 2\n[t]\nc = 3\n[u]\n").fingerprint(), "an empty section counts");
    assertEquals(64, a.length());
  }

  private static Map<String, String> texts(Document d, String section) {
    Map<String, String> texts = new java.util.TreeMap<>();
    d.items(section).forEach((k, v) -> texts.put(k, v.text()));
    return texts;
  }
}
