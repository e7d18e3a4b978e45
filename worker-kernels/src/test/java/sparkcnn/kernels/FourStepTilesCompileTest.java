package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The register tiles that take four depth steps a turn ({@link GemmVectorKernel#tile8Deep}, {@code tileRows8Deep})
 * are near the size past which C1 gives up on a method ("out of virtual registers"). A method C1 compiles at tier 2
 * and then fails at tier 3 is never handed to C2 and runs the Vector API's Java fallback for good, a hundred times
 * slower; no answer changes, so only this test would notice. It drives both tiles in a child JVM that stops at tier
 * 3 and reads the JIT's log: both must be compiled there, neither skipped.
 */
class FourStepTilesCompileTest {

  @Test
  void c1CompilesTheFourStepTilesAtTierThree() throws IOException, InterruptedException {
    Assumptions.assumeTrue(Simd.AVAILABLE, "the Vector API module is not in this JVM");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "--add-modules=jdk.incubator.vector",
        "-XX:TieredStopAtLevel=3", "-XX:-BackgroundCompilation", "-XX:+PrintCompilation", "-Dsparkcnn.gemm.mr=8",
        "-cp", System.getProperty("java.class.path"), Drive.class.getName());
    pb.redirectErrorStream(true);
    Process child = pb.start();
    String log = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(2, TimeUnit.MINUTES), "child JVM did not finish");
    assertEquals(0, child.exitValue(), log);
    List<String> tiles = log.lines().filter(l -> l.contains("GemmVectorKernel::tile")
        && l.contains("Deep")).collect(Collectors.toList());
    String seen = String.join("\n", tiles);
    for (String tile : new String[] {"::tile8Deep ", "::tileRows8Deep "}) {
      assertTrue(tiles.stream().anyMatch(l -> l.contains(tile)), tile + " never compiled:\n" + seen);
    }
    assertTrue(tiles.stream().noneMatch(l -> l.contains("SKIPPED")), "C1 gave up on a tile:\n" + seen);
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
