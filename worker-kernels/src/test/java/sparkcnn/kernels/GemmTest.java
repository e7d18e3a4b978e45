package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GemmTest {
  @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
  @CsvSource({
      "false,false,1,1,1", "false,false,7,13,5", "true,false,37,41,300", "false,true,6,32,256",
      "true,true,65,97,513", "false,false,130,70,1", "true,false,1,200,33", "false,true,250,3,600",
      "true,true,11,1100,40", "false,false,300,300,300"})
  void matchesNaiveWithOffsetsStridesAlphaBeta(boolean transA, boolean transB, int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k);
    int lda = (transA ? m : k) + 3;
    int ldb = (transB ? k : n) + 5;
    int ldc = n + 2;
    float[] a = Rand.floats(rnd, 4 + (transA ? k : m) * lda);
    float[] b = Rand.floats(rnd, 9 + (transB ? n : k) * ldb);
    float[] c = Rand.floats(rnd, 1 + m * ldc);
    float[] expected = c.clone();
    GemmNaive.gemm(transA, transB, m, n, k, 0.75f, a, 4, lda, b, 9, ldb, -0.5f, expected, 1, ldc);
    Gemm.gemm(transA, transB, m, n, k, 0.75f, a, 4, lda, b, 9, ldb, -0.5f, c, 1, ldc);
    Rand.assertClose(expected, c, 1e-4, "gemm");
  }

  @Test
  void betaZeroIgnoresGarbageInC() {
    float[] a = {1, 2, 3, 4};
    float[] b = {5, 6, 7, 8};
    float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
    Gemm.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
    Rand.assertClose(new float[] {19, 22, 43, 50}, c, 0, "gemm beta=0");
  }

  @Test
  void multithreadedSplitMatchesSerialOnBothSplitAxes() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int[] mnk : new int[][] {{64, 900, 70}, {900, 64, 70}}) {
      int m = mnk[0];
      int n = mnk[1];
      int k = mnk[2];
      float[] a = Rand.floats(rnd, m * k);
      float[] b = Rand.floats(rnd, k * n);
      float[] expected = new float[m * n];
      float[] c = new float[m * n];
      GemmNaive.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);
      Gemm.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
      Rand.assertClose(expected, c, 1e-4, "gemm " + m + "x" + n + "x" + k);
    }
  }

  @Test
  void badOperandsNameTheOperandAndShape() {
    float[] small = new float[5];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemm(false, false, 2, 3, 4, 1f, small, 0, 4, new float[12], 0, 3, 0f, new float[6], 0, 3));
    assertTrue(e.getMessage().contains("gemm A (2 x 4, ld 4)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemm(false, false, 2, 3, 4, 1f, new float[8], 0, 4, new float[12], 0, 2, 0f, new float[6], 0, 3));
    assertTrue(e.getMessage().contains("gemm B") && e.getMessage().contains("leading dimension"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemm(false, false, -1, 3, 4, 1f, small, 0, 4, small, 0, 3, 0f, small, 0, 3));
    assertTrue(e.getMessage().contains("gemm m"), e.getMessage());
  }
}
