package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    PrintStream savedErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8));
    } finally {
      System.setErr(savedErr);
    }
  }

  @Test
  void helpListsTheCommands() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("bench"));
    assertEquals(0, run("bench", "--help"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("peak_gflops_per_core"));
  }

  @Test
  void usageErrorsExitWithTwoAndSayWhatIsAllowed() {
    assertEquals(2, run("nonsense"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown command 'nonsense'"), err.toString());
    assertEquals(2, run("bench", "--frobnicate"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unexpected argument '--frobnicate' (allowed:"));
    assertEquals(2, run("bench", "--threads", "zero"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--threads: expected a positive integer, got 'zero'"));
    assertEquals(2, run("bench", "--threads"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--threads needs a value"));
  }
}
