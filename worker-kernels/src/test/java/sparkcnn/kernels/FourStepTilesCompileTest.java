package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The register tiles that take four depth steps a turn ({@link GemmVectorKernel#tile8Deep}, {@code tileRows8Deep})
 * are near the size past which C1 gives up on a method ("out of virtual registers"). A method C1 compiles at tier 2
 * and then fails at tier 3 is never handed to C2 and runs the Vector API's Java fallback for good, a hundred times
 * slower; no answer changes, so only this test would notice. It drives both tiles in a child JVM that stops at tier
 * 3 and reads the JIT's log: both must be compiled there (a whole-method compile, not only on-stack replacement),
 * neither skipped. It speaks for the JDK that runs it (C1's inlining, and so the tiles' size to it, can change
 * between releases); skipped on a JVM that logs no tier-3 compile (not HotSpot, or without C1).
 */
class FourStepTilesCompileTest {
  /** A compilation at tier 3 in a PrintCompilation line: the tier column right before the method's name. */
  private static final Pattern TIER_THREE = Pattern.compile("\\s3\\s+[\\w.$]+::");

  @Test
  void c1CompilesTheFourStepTilesAtTierThree() throws IOException, InterruptedException {
    Assumptions.assumeTrue(Simd.AVAILABLE, "the Vector API module is not in this JVM");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = Files.createTempFile("four-step-tiles", ".log");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "--add-modules=jdk.incubator.vector",
        "-XX:TieredStopAtLevel=3", "-XX:-BackgroundCompilation", "-XX:+PrintCompilation", "-Dsparkcnn.gemm.mr=8",
        "-cp", System.getProperty("java.class.path"), Drive.class.getName());
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process child = pb.start();
    List<String> lines;
    try {
      assertTrue(child.waitFor(2, TimeUnit.MINUTES), "child JVM did not finish in two minutes");
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      assertEquals(0, child.exitValue(), String.join("\n", lines));
    } finally {
      child.destroyForcibly();
      Files.deleteIfExists(log);
    }
    // PrintCompilation: time, id, flags (% for on-stack replacement), tier, method, size, and why it was skipped.
    Assumptions.assumeTrue(lines.stream().anyMatch(l -> TIER_THREE.matcher(l).find()), "no C1 in this JVM");
    List<String> tiles = lines.stream().filter(l -> l.contains("GemmVectorKernel::tile") && l.contains("Deep"))
        .collect(Collectors.toList());
    String seen = String.join("\n", tiles);
    for (String tile : new String[] {"::tile8Deep ", "::tileRows8Deep "}) {
      assertTrue(tiles.stream().anyMatch(l -> l.contains(tile) && !l.contains("%") && TIER_THREE.matcher(l).find()
          && !l.contains("SKIPPED") && !l.contains("not compilable")), tile + " never compiled at tier 3:\n" + seen);
    }
    assertTrue(tiles.stream().noneMatch(l -> l.contains("SKIPPED") || l.contains("not compilable")),
        "C1 gave up on a tile:\n" + seen);
  }

  /** Calls both tiles a few hundred times each: past C1's tier-3 thresholds, compiled on the spot. */
  public static final class Drive {
    public static void main(String[] args) {
      int k = 64;
      int n = 64;
      float[] a = new float[n * k];
      float[] b = new float[k * n + Gemm.NR];
      float[] c = new float[n * n];
      float[] packedA = new float[Gemm.packedSizeA(n, k)];
      int[] rows = new int[k];
      for (int p = 0; p < k; p++) {
        rows[p] = p * n;
      }
      for (int i = 0; i < 40; i++) {
        Gemm.gemm(false, false, n, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        Gemm.gemmRowOffsets(n, n, k, packedA, 0, b, 0, rows, c, 0, n);
      }
    }
  }
}
