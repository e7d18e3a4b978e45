package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sparkcnn.models.Json;

/**
 * bench train through the command on a small model, for both synchronous trainers: every key the issue names,
 * with sane values, and the empty phase really skipping forward and backward (its compute time far below the
 * real phase's). Two partitions are asked for, so the keys do not depend on the machine's core count.
 */
class BenchTrainTest {
  private static double number(String json, String key) {
    JsonNode value = Json.tree(json).path(key);
    assertTrue(value.isNumber(), key + " in " + json);
    return value.asDouble();
  }

  /** The value of key inside the object under section. */
  private static double number(String json, String section, String key) {
    JsonNode value = Json.tree(json).path(section).path(key);
    assertTrue(value.isNumber(), section + "." + key + " in " + json);
    return value.asDouble();
  }

  @ParameterizedTest
  @ValueSource(strings = {"collective", "broadcast"})
  void reportsThroughputOverheadSpeedupAndTheEmptyStep(String sync) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream savedErr = System.err;
    System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.run(new String[] {"bench", "train", "--model", "cifar_resnet20", "--input", "3x16x16", "--batch",
          "32", "--micro-batch", "16", "--seconds", "1", "--partitions", "2", "--sync", sync, "--json"},
          new PrintStream(out, true, StandardCharsets.UTF_8));
    } finally {
      System.setErr(savedErr);
    }
    assertEquals(0, code);
    String json = out.toString(StandardCharsets.UTF_8);
    assertEquals(sync, Json.tree(json).path("sync").asText(), json);
    assertTrue(number(json, "images_per_second") > 0);
    double overhead = number(json, "overhead_fraction");
    assertTrue(overhead > 0 && overhead < 1, "overhead_fraction " + overhead);
    assertTrue(number(json, "speedup_2_vs_1") > 0);
    assertTrue(number(json, "empty_step_seconds") > 0);
    assertTrue(number(json, "empty_step_fraction") > 0);
    double realCompute = number(json, "2_partitions", "compute_seconds");
    double emptyCompute = number(json, "empty_steps", "compute_seconds");
    assertTrue(emptyCompute < 0.5 * realCompute, "empty steps computed " + emptyCompute + " s vs " + realCompute);
  }

  @Test
  void benchScoreReportsThroughputAndBatchOneLatency() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream savedErr = System.err;
    System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.run(new String[] {"bench", "score", "--model", "lenet5", "--batch", "64", "--partitions", "2",
          "--seconds", "1", "--json"}, new PrintStream(out, true, StandardCharsets.UTF_8));
    } finally {
      System.setErr(savedErr);
    }
    assertEquals(0, code);
    String json = out.toString(StandardCharsets.UTF_8);
    double throughput = number(json, "images_per_second");
    double latency = number(json, "latency_ms_batch1");
    assertTrue(throughput > 0 && latency > 0, json);
    // One image at a time cannot beat the batched throughput by much: a sanity bound on the units (ms vs s).
    assertTrue(1000 / latency < 10 * throughput, json);
    assertTrue(number(json, "latency_threads") >= 1);
    // Two batches a partition (2 x 64 x 2 images), each timed pass over all of them a whole number of times, two
    // passes or more, for at least --seconds.
    double images = number(json, "images");
    assertTrue(number(json, "passes") >= 2 && images >= 256 * number(json, "passes") && images % 256 == 0, json);
    assertTrue(number(json, "seconds") >= 1, json);
  }
}
