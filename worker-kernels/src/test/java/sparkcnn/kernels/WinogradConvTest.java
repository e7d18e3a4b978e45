package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sparkcnn.kernels.ConvAlgorithm.Pass;

/**
 * Winograd F(2x2, 3x3) against the naive loops, forward and backward-data, on geometries that reach every edge
 * of its blocking: odd output sizes (a tile half outside), paddings 0 to 2 and uneven ones, a 1-pixel image,
 * channel counts that are not a multiple of GEMM's row panel, rows narrower and wider than a vector of tiles,
 * blocks that run across images and images cut across blocks, one and two threads.
 */
class WinogradConvTest {
  static Stream<ConvGeom> geometries() {
    return Stream.of(
        ConvGeom.of(1, 1, 4, 4, 1, 3, 3, 1, 0, 1, 1),          // one tile, no padding
        ConvGeom.of(1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1),          // odd sizes, batch 1
        ConvGeom.of(3, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1),      // ResNet-20's first stage
        ConvGeom.of(5, 13, 8, 8, 70, 3, 3, 1, 1, 1, 1),        // many images a block, K past a panel
        ConvGeom.of(2, 4, 41, 37, 7, 3, 3, 1, 2, 1, 1),        // padding 2, rows wider than two vectors of tiles
        ConvGeom.of(2, 6, 1, 1, 5, 3, 3, 1, 1, 1, 1),          // a 1-pixel image
        ConvGeom.of(4, 9, 5, 6, 3, 3, 3, 1, 0, 1, 1),          // no padding, odd output
        new ConvGeom(2, 5, 9, 10, 6, 3, 3, 1, 1, 0, 2, 1, 1, 1, 1, 1),  // uneven padding
        ConvGeom.of(2, 40, 70, 66, 24, 3, 3, 1, 1, 1, 1));     // images cut across several blocks
  }

  @ParameterizedTest
  @MethodSource("geometries")
  void forwardAndBackwardDataMatchTheNaiveLoopsOnOneAndTwoThreads(ConvGeom g) {
    assertTrue(ConvAlgorithm.WINOGRAD.supports(g, Pass.FORWARD) && ConvAlgorithm.WINOGRAD.supports(g,
        Pass.BACKWARD_DATA), g.toString());
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] yRef = new float[g.outputSize()];
    float[] dxRef = new float[g.inputSize()];
    Conv2dNaive.forward(x, 0, w, 0, b, 0, yRef, 0, g);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
    int was = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2}) {
        Parallel.setThreads(threads);
        float[] y = Rand.floats(rnd, g.outputSize());
        float[] dx = Rand.floats(rnd, g.inputSize());
        Conv2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g, ConvAlgorithm.WINOGRAD);
        Rand.assertClose(yRef, y, 3e-5, "forward, " + threads + " threads, " + g);
        Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, ConvAlgorithm.WINOGRAD);
        Rand.assertClose(dxRef, dx, 3e-5, "backward data, " + threads + " threads, " + g);
      }
    } finally {
      Parallel.setThreads(was);
    }
  }

  @ParameterizedTest
  @MethodSource("geometries")
  void offsetsIntoLargerArraysAreRespected(ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(5);
    int off = 7;
    float[] x = Rand.floats(rnd, off + g.inputSize() + 3);
    float[] w = Rand.floats(rnd, off + g.weightSize());
    float[] y = Rand.floats(rnd, off + g.outputSize() + 3);
    float[] guard = y.clone();
    float[] yRef = new float[g.outputSize()];
    float[] xIn = java.util.Arrays.copyOfRange(x, off, off + g.inputSize());
    float[] wIn = java.util.Arrays.copyOfRange(w, off, off + g.weightSize());
    Conv2dNaive.forward(xIn, 0, wIn, 0, null, 0, yRef, 0, g);
    Conv2dKernels.forward(x, off, w, off, null, 0, y, off, g, ConvAlgorithm.WINOGRAD);
    Rand.assertClose(yRef, java.util.Arrays.copyOfRange(y, off, off + g.outputSize()), 3e-5, "forward " + g);
    for (int i = 0; i < off; i++) {
      assertTrue(y[i] == guard[i], "wrote before its output at " + i);
    }
    for (int i = off + g.outputSize(); i < y.length; i++) {
      assertTrue(y[i] == guard[i], "wrote past its output at " + i);
    }
  }

  @org.junit.jupiter.api.Test
  void theDefaultEntryPointsTakeItForAResNetLayerAndStillMatch() {
    ConvGeom g = ConvGeom.of(1, 128, 14, 15, 130, 3, 3, 1, 1, 1, 1);
    org.junit.jupiter.api.Assertions.assertEquals(ConvAlgorithm.WINOGRAD, ConvAlgorithm.heuristic(g, Pass.FORWARD));
    SplittableRandom rnd = new SplittableRandom(11);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] y = new float[g.outputSize()];
    float[] yRef = new float[g.outputSize()];
    float[] dx = new float[g.inputSize()];
    float[] dxRef = new float[g.inputSize()];
    Conv2dNaive.forward(x, 0, w, 0, null, 0, yRef, 0, g);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
    Conv2dKernels.forward(x, 0, w, 0, null, 0, y, 0, g);
    Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g);
    Rand.assertClose(yRef, y, 3e-5, "forward");
    Rand.assertClose(dxRef, dx, 3e-5, "backward data");
  }

  @org.junit.jupiter.api.Test
  void onlyUndilatedUngroupedStrideOne3x3() {
    assertFalse(WinogradConv.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 2, 1, 1, 1)), "stride 2");
    assertFalse(WinogradConv.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 2, 2, 1)), "dilated");
    assertFalse(WinogradConv.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 1, 1, 2)), "grouped");
    assertFalse(WinogradConv.supports(ConvGeom.of(1, 4, 9, 9, 4, 5, 5, 1, 2, 1, 1)), "5x5");
    assertFalse(WinogradConv.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 3, 1, 1)), "padding past the kernel");
    assertFalse(ConvAlgorithm.WINOGRAD.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 1, 1, 1), Pass.BACKWARD_WEIGHTS));
  }
}
