package sparkcnn.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import sparkcnn.models.Json;

/** A command run in this JVM as a user would run it: its exit status, what it printed, and what went to stderr. */
record CommandRun(int code, String out, String err) {
  static CommandRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
    return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** What a --json command printed, parsed. */
  JsonNode json() {
    return Json.tree(out);
  }

  /** A JSON array's elements as text. */
  static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(n -> values.add(n.asText()));
    return values;
  }

  /** The first stderr line of the command's own (`sparkcnn COMMAND: ...`), or "". */
  String line(String command) {
    return err.lines().filter(l -> l.startsWith("sparkcnn " + command)).findFirst().orElse("");
  }
}
