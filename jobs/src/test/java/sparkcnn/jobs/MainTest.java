package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import sparkcnn.models.Json;

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
    assertEquals(2, run("bench", "--threads", "1", "--threads", "2"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("sparkcnn bench: --threads given more than once"));
    assertEquals(2, run("bench", "--json", "--json"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("sparkcnn bench: --json given more than once"));
    // Each partition of the local benches is a thread of this JVM: a million ran it out of native threads.
    assertEquals(2, run("bench", "train", "--model", "lenet5", "--partitions", "1000000"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("sparkcnn bench train: --partitions: at most 256"));
    assertEquals(2, run("bench", "train", "--model", "lenet5", "--batch", "8", "--partitions", "9"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("at most 8 (each partition is a task thread of this"
        + " JVM, local[P], and each takes at least one image of --batch 8), got 9"), err.toString());
    assertEquals(2, run("bench", "score", "--model", "lenet5", "--partitions", "257"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("sparkcnn bench score: --partitions: at most 256"));
  }

  /** The driver's side running out of heap: one line with the heap and what to change, exit 1, no stack trace. */
  @Test
  void runningOutOfHeapSaysWhatToChange() {
    Main.COMMANDS.put("test-oom", new Main.Command() {
      @Override
      public String summary() {
        return "throws OutOfMemoryError";
      }

      @Override
      public int run(Args args, PrintStream out) {
        throw new OutOfMemoryError("Java heap space");
      }
    });
    try {
      assertEquals(1, run("test-oom"));
      String message = err.toString(StandardCharsets.UTF_8);
      assertTrue(message.startsWith("sparkcnn test-oom: out of memory (Java heap space) with a heap of ")
          && message.contains("SPARKCNN_HEAP") && message.lines().count() == 1, message);
    } finally {
      Main.COMMANDS.remove("test-oom");
    }
  }

  @Test
  void summaryPrintsTheInceptionCostExampleExactly() {
    assertEquals(0, run("summary", "--model", "example_conv5x5"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("120,422,400"), out.toString());
    out.reset();
    assertEquals(0, run("summary", "--model", "example_bottleneck5x5"));
    String table = out.toString(StandardCharsets.UTF_8);
    assertTrue(table.contains("2,408,448") && table.contains("10,035,200"), table);
  }

  @Test
  void summaryShowsTheTimedAlgorithmOfEveryConvLayer() {
    CommandRun r = CommandRun.of("summary", "--model", "mobilenet_v2", "--input", "3x32x32", "--algorithms", "--json");
    assertEquals(0, r.code(), r.err());
    java.util.Set<String> labels = new java.util.HashSet<>();
    for (sparkcnn.kernels.ConvAlgorithm a : sparkcnn.kernels.ConvAlgorithm.values()) {
      labels.add(a.label());
    }
    int convs = 0;
    for (JsonNode layer : r.json().path("layers")) {
      String kind = layer.path("layer").asText();
      boolean conv = kind.startsWith("conv ") || kind.startsWith("depthwise conv ");
      assertEquals(conv, layer.has("algorithms"), layer.toString());
      if (conv) {
        convs++;
        for (String pass : new String[] {"forward", "backward_data", "backward_weights"}) {
          assertTrue(labels.contains(layer.path("algorithms").path(pass).asText()), layer.toString());
        }
        if (kind.startsWith("depthwise")) {
          assertTrue(layer.path("algorithms").path("forward").asText().startsWith("depthwise")
              || layer.path("algorithms").path("forward").asText().equals("im2col-gemm"), layer.toString());
        }
      }
    }
    assertEquals(52, convs, "MobileNet v2's convolutions");
    assertTrue(r.err().contains("timing the algorithms of conv layer 52/52"), r.err());
    CommandRun text = CommandRun.of("summary", "--model", "lenet5", "--algorithms", "--batch", "4");
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("algorithm: forward / backward data / backward weights"), text.out());
    CommandRun lonely = CommandRun.of("summary", "--model", "lenet5", "--batch", "4");
    assertEquals(2, lonely.code());
    assertTrue(lonely.err().contains("--batch goes with --algorithms"), lonely.err());
  }

  @Test
  void summaryJsonHasTheDocumentedKeys() {
    assertEquals(0, run("summary", "--model", "resnet50", "--json"));
    String json = out.toString(StandardCharsets.UTF_8);
    JsonNode summary = Json.tree(json);
    assertEquals("resnet50", summary.path("model").asText());
    assertEquals(25557032L, summary.path("params").asLong());
    assertEquals(4089184256L, summary.path("macs").asLong());
    assertEquals("3x224x224", summary.path("input").asText());
    assertTrue(summary.path("layers").isArray() && summary.path("layers").size() > 0, json.substring(0, 300));
  }

  @Test
  void summaryRejectsBadModelsWithTheLimit() {
    assertEquals(2, run("summary", "--model", "resnet51"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown model 'resnet51'"), err.toString());
    assertEquals(2, run("summary", "--model", "vgg16", "--input", "3x16x16"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("needs at least 3x32x32"), err.toString());
    assertEquals(2, run("summary", "--model", "resnet18", "--width", "-1"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("must be positive"), err.toString());
    assertEquals(2, run("summary", "--model", "resnet18", "--phi", "1", "--width", "2"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("either --phi or"), err.toString());
  }

  /** What a failure prints is never "null" or a bare exception class, however the exception was built. */
  @Test
  void failureMessagesAreNeverNullOrABareClassName() {
    java.io.IOException reader = new java.io.IOException("/x/c.sparkcnn: truncated checkpoint",
        new java.io.EOFException());
    assertEquals("/x/c.sparkcnn: truncated checkpoint", Main.rootMessage(new RuntimeException(reader)));
    assertEquals("/x/c.sparkcnn: truncated checkpoint", Main.rootMessage(
        new org.apache.spark.SparkException("Job aborted", new java.io.UncheckedIOException(reader))));
    // new RuntimeException(cause) carries the cause's class name as its message: not an explanation.
    String bare = Main.rootMessage(new RuntimeException(new java.io.EOFException()));
    assertTrue(bare.startsWith("internal error: EOFException at "), bare);
    String nul = Main.rootMessage(new IllegalStateException("null", new NullPointerException()));
    assertTrue(nul.startsWith("internal error: NullPointerException at "), nul);
    assertEquals("disk full", Main.rootMessage(new RuntimeException("java.lang.RuntimeException",
        new java.io.IOException("disk full"))));
    // java.nio's file errors carry only the path; the reason comes from their class.
    assertEquals("/proc/r/train.lock: permission denied", Main.rootMessage(
        new java.io.UncheckedIOException(new java.nio.file.AccessDeniedException("/proc/r/train.lock"))));
    assertEquals("/r/a: no such file or directory", Main.rootMessage(new java.nio.file.NoSuchFileException("/r/a")));
    assertEquals("/r/a: Read-only file system", Main.rootMessage(
        new java.nio.file.FileSystemException("/r/a", null, "Read-only file system")));
  }
}
