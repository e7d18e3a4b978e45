package sparkcnn.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The YAML subset job files use, and the --set overrides. */
class YamlTest {
  @Test
  void nestedMappingsSequencesFlowAndScalars() {
    Map<String, Object> doc = Yaml.parse("t.yaml", """
        # a comment
        name: "quoted # not a comment"
        model:
          architecture: resnet50   # trailing comment
          input: 3x224x224
          width: 1.5
          classes: 10
        list:
          - a
          - 'b: c'
          - key: v
            other: 2
        flow: [1, 2.5, "x", [3]]
        map: {spark.executor.memory: 2g, n: 3}
        empty:
        flag: true
        """);
    assertEquals("quoted # not a comment", doc.get("name"));
    @SuppressWarnings("unchecked")
    Map<String, Object> model = (Map<String, Object>) doc.get("model");
    assertEquals("resnet50", model.get("architecture"));
    assertEquals("3x224x224", model.get("input"));
    assertEquals(1.5, model.get("width"));
    assertEquals(10L, model.get("classes"));
    assertEquals(List.of("a", "b: c", Map.of("key", "v", "other", 2L)), doc.get("list"));
    assertEquals(List.of(1L, 2.5, "x", List.of(3L)), doc.get("flow"));
    assertEquals(Map.of("spark.executor.memory", "2g", "n", 3L), doc.get("map"));
    assertNull(doc.get("empty"));
    assertEquals(true, doc.get("flag"));
  }

  @Test
  void errorsNameTheFileAndLine() {
    ConfigException e = assertThrows(ConfigException.class, () -> Yaml.parse("bad.yaml", "a: 1\n  b: 2\n"));
    assertTrue(e.getMessage().startsWith("bad.yaml:2:"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> Yaml.parse("bad.yaml", "a: [1, 2\n"));
    assertTrue(e.getMessage().contains("bad.yaml:1") && e.getMessage().contains("unclosed"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> Yaml.parse("bad.yaml", "just text\n"));
    assertTrue(e.getMessage().contains("expected 'key: value'"), e.getMessage());
  }

  /** Hostile or mistyped text: a clear error naming the file and line, never an exception from the parser's insides. */
  @Test
  void hostileTextGetsAClearError() {
    String[][] cases = {
        {"a: [", "unclosed '['"}, {"a:\n  - b: [", "unclosed '['"}, {"a: {b: [", "unclosed '{'"},
        {"a: [1, {", "unclosed '['"}, {"a: [1,,2]", "expected a value at column 4"}, {"a: [,]", "expected a value"},
        {"a: [1, ]", "expected a value"}, {"a: {: 1}", "expected a key"}, {"a: \"open", "unclosed quote"},
        {"a: [\"x]", "unclosed quote"}, {"a: \"x\" y", "unexpected text after the quoted"}, {"a: |", "block scalars"},
        {"a: &x 1", "anchors"}, {"a: *x", "aliases"}, {"a: !!str x", "tags"}, {"a: b: c", "second 'key: value'"},
        {"a:\n  - b: c: d", "second 'key: value'"}, {"a: 'it''s'", "escaped quotes"},
        {"a: \"x\\\"y\"", "escaped quotes"}, {"a: [1, 'x''y']", "escaped quotes"}, {"a: %x", "reserves '%'"},
        {"a: @x", "reserves '@'"}, {"a: " + "[".repeat(5000) + "]".repeat(5000), "nested more than 32"}};
    for (String[] c : cases) {
      ConfigException e = assertThrows(ConfigException.class, () -> Yaml.parse("bad.yaml", c[0] + "\n"), c[0]);
      String at = "bad.yaml:" + c[0].split("\n").length + ":";
      assertTrue(e.getMessage().startsWith(at) && e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
  }

  @Test
  void quotedValuesMayHoldWhatPlainOnesMayNot() {
    Map<String, Object> doc = Yaml.parse("t.yaml", "a: \"b: c\"\nd: '*.png'\ne: [\"x, y\", 'z']\nf: http://h:80/p\n");
    assertEquals("b: c", doc.get("a"));
    assertEquals("*.png", doc.get("d"));
    assertEquals(List.of("x, y", "z"), doc.get("e"));
    assertEquals("http://h:80/p", doc.get("f"));
    // A sequence item whose key and value are both quoted is a mapping; a byte-order mark is not part of a key.
    assertEquals(List.of(Map.of("a", "b")), Yaml.parse("t.yaml", "l:\n  - 'a': 'b'\n").get("l"));
    assertEquals(1L, Yaml.parse("t.yaml", "\uFEFFname: 1\n").get("name"));
  }

  @Test
  void setOverridesRefuseEmptyKeys() {
    for (String bad : new String[] {".=1", "..=x", "training..lr=1", "training.=1", " =1"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> Schema.override(new LinkedHashMap<>(), bad), bad);
      assertTrue(e.getMessage().startsWith("--set "), e.getMessage());
    }
  }

  @Test
  void aFileThatIsNotUtf8SaysSo(@TempDir Path dir) throws IOException {
    Path bin = dir.resolve("binary.yaml");
    Files.write(bin, new byte[] {(byte) 0xFF, (byte) 0xFE, 0x00, 0x41});
    ConfigException e = assertThrows(ConfigException.class,
        () -> JobFile.load(bin.toString(), new Schema(Map.of()), List.of()));
    assertTrue(e.getMessage().startsWith(bin + ": not UTF-8 text"), e.getMessage());
  }

  @Test
  void overridesCreateSectionsAndParseValues() {
    Map<String, Object> doc = Yaml.parse("t.yaml", "training:\n  epochs: 3\n");
    Schema.override(doc, "training.epochs=7");
    Schema.override(doc, "data.augmentations=[hflip, \"crop:4\"]");
    Schema.override(doc, "model.width=0.5");
    @SuppressWarnings("unchecked")
    Map<String, Object> training = (Map<String, Object>) doc.get("training");
    assertEquals(7L, training.get("epochs"));
    assertEquals(List.of("hflip", "crop:4"), ((Map<?, ?>) doc.get("data")).get("augmentations"));
    assertEquals(0.5, ((Map<?, ?>) doc.get("model")).get("width"));
    assertThrows(ConfigException.class, () -> Schema.override(doc, "no-equals-sign"));
  }
}
