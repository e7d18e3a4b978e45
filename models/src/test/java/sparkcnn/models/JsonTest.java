package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one JSON writer and reader: the one-line format metrics.jsonl relies on, and what reads back. */
class JsonTest {
  @Test
  void writesOneLineInInsertionOrderWithRoundedDoubles() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "step");
    m.put("step", 12L);
    m.put("loss", 0.123456789);
    m.put("lr", 1e-4f);
    m.put("nan", Double.NaN);
    m.put("ok", true);
    m.put("none", null);
    m.put("list", List.of(1, 2.5, "x"));
    m.put("path", java.nio.file.Path.of("/a b"));
    assertEquals("{\"kind\": \"step\", \"step\": 12, \"loss\": 0.123457, \"lr\": 0.0001, \"nan\": null, \"ok\": true, "
        + "\"none\": null, \"list\": [1, 2.5, \"x\"], \"path\": \"/a b\"}", Json.write(m));
  }

  @Test
  void escapesWhatMustBeEscapedAndKeepsUnicode() {
    String awkward = "say \"hi\"\\ \n\t\u0001 \u732b h\u00fchner";
    String written = Json.write(List.of(awkward));
    assertTrue(!written.contains("\n") && written.contains("\u732b"), written);
    assertEquals(List.of(awkward), Json.read(written));
  }

  @Test
  void readsBackWhatItWrote() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", List.of(1, 2));
    m.put("b", Map.of("c", "d"));
    m.put("e", 0.5);
    Object back = Json.read(Json.write(m));
    assertEquals(m, back);
    assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(((Map<?, ?>) back).keySet()), "order kept");
    assertEquals(2, Json.tree(Json.write(m)).path("a").path(1).asInt());
  }

  @Test
  void malformedTextIsAnErrorSayingSo() {
    for (String bad : Arrays.asList("{\"a\": ", "[1] x", "{a: 1}", "[\"unclosed]")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.read(bad), bad);
      assertTrue(e.getMessage().startsWith("malformed JSON: "), e.getMessage());
    }
  }
}
