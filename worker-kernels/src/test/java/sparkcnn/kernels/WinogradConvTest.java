package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sparkcnn.kernels.ConvAlgorithm.Pass;

/**
 * Winograd F(2x2, 3x3), F(4x4, 3x3) and F(4x4, 5x5) against the naive loops, forward and backward-data, on
 * geometries that reach every edge of their blocking: odd output sizes (a tile partly outside), paddings 0 to r - 1
 * and uneven ones, a 1-pixel image, channel counts that are not a multiple of GEMM's row panel, rows narrower and
 * wider than a vector of tiles, blocks that run across images and images cut across blocks, one and two threads.
 */
class WinogradConvTest {
  /** The 3x3 geometries under both algorithms, the 5x5 ones under F(4x4, 5x5). */
  static Stream<Arguments> cases() {
    Stream<Arguments> threes = geometries().flatMap(g -> Stream.of(
        Arguments.of(ConvAlgorithm.WINOGRAD, g), Arguments.of(ConvAlgorithm.WINOGRAD_4X4, g)));
    Stream<Arguments> fives = Stream.of(
        ConvGeom.of(1, 1, 8, 8, 1, 5, 5, 1, 0, 1, 1),          // one tile, no padding
        ConvGeom.of(3, 32, 14, 14, 64, 5, 5, 1, 2, 1, 1),      // tf_convnet's second layer
        ConvGeom.of(2, 1, 28, 28, 32, 5, 5, 1, 2, 1, 1),       // and its first
        ConvGeom.of(1, 3, 7, 9, 5, 5, 5, 1, 2, 1, 1),          // odd sizes, batch 1
        ConvGeom.of(2, 6, 1, 1, 5, 5, 5, 1, 2, 1, 1),          // a 1-pixel image
        ConvGeom.of(4, 9, 11, 13, 3, 5, 5, 1, 0, 1, 1),        // no padding, odd output
        ConvGeom.of(2, 4, 41, 37, 7, 5, 5, 1, 4, 1, 1),        // padding 4, rows wider than two vectors of tiles
        new ConvGeom(2, 5, 9, 10, 6, 5, 5, 1, 1, 3, 0, 4, 1, 1, 1, 1),  // uneven padding
        ConvGeom.of(2, 40, 70, 66, 24, 5, 5, 1, 2, 1, 1))      // images cut across several blocks
        .map(g -> Arguments.of(ConvAlgorithm.WINOGRAD_4X4, g));
    return Stream.concat(threes, fives);
  }

  /**
   * Relative to the output's largest magnitude: the transforms reorder the sums, and F(4x4, .)'s points 2 and 1/2
   * scale its terms before they cancel (measured 3e-6 to 1.6e-5 on 14x14 to 70x66 planes of 1 to 256 channels,
   * against 3e-7 to 6e-7 for F(2x2, 3x3) and the implicit GEMM).
   */
  private static double tolerance(ConvAlgorithm a, ConvGeom g) {
    return a == ConvAlgorithm.WINOGRAD ? 3e-5 : 1e-4;
  }

  /** A ResNet layer on 14x14 planes takes F(2x2, 3x3); one on 28x28 and tf_convnet's 5x5 take F(4x4, .). */
  static Stream<Arguments> defaults() {
    return Stream.of(Arguments.of(ConvAlgorithm.WINOGRAD, ConvGeom.of(1, 128, 14, 15, 130, 3, 3, 1, 1, 1, 1)),
        Arguments.of(ConvAlgorithm.WINOGRAD_4X4, ConvGeom.of(1, 64, 28, 27, 70, 3, 3, 1, 1, 1, 1)),
        Arguments.of(ConvAlgorithm.WINOGRAD_4X4, ConvGeom.same(2, 32, 14, 14, 64, 5, 5, 1, 1, 1)));
  }

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
  @MethodSource("cases")
  void forwardAndBackwardDataMatchTheNaiveLoopsOnOneAndTwoThreads(ConvAlgorithm a, ConvGeom g) {
    assertTrue(a.supports(g, Pass.FORWARD) && a.supports(g, Pass.BACKWARD_DATA), g.toString());
    double tol = tolerance(a, g);
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] yRef = new float[g.outputSize()];
    float[] dxRef = new float[g.inputSize()];
    Conv2dNaive.forward(x, 0, w, 0, b, 0, yRef, 0, g);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
    OnThreads.each(threads -> {
      float[] y = Rand.floats(rnd, g.outputSize());
      float[] dx = Rand.floats(rnd, g.inputSize());
      Conv2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g, a);
      Rand.assertClose(yRef, y, tol, a + " forward, " + threads + " threads, " + g);
      Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, a);
      Rand.assertClose(dxRef, dx, tol, a + " backward data, " + threads + " threads, " + g);
    }, 1, 2);
  }

  /** The cases whose weight gradient runs here (all but tf_convnet's, whose accumulators are too large). */
  static Stream<Arguments> weightCases() {
    return cases().filter(c -> ((ConvAlgorithm) c.get()[0]).supports((ConvGeom) c.get()[1], Pass.BACKWARD_WEIGHTS));
  }

  /**
   * The weight gradient against the naive loops, on one, two and four threads (chunks of blocks that a pool thread
   * may run two of), added onto what dw held. Relative to the
   * largest weight gradient, which sums over every pixel of the batch: measured 5e-8 to 8e-7 under F(2x2, 3x3)
   * (the implicit GEMM: 1e-7 to 5e-7) and 1e-7 to 6e-6 under F(4x4, .), on these cases and ResNet-20's second
   * stage at batch 128.
   */
  @ParameterizedTest
  @MethodSource("weightCases")
  void weightGradientsMatchTheNaiveLoopsOnOneTwoAndFourThreads(ConvAlgorithm a, ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode() + 1);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] start = Rand.floats(rnd, g.weightSize());
    float[] dwRef = start.clone();
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
    OnThreads.each(threads -> {
      int off = 3;
      float[] dw = new float[off + g.weightSize() + 2];
      System.arraycopy(start, 0, dw, off, g.weightSize());
      float[] guard = dw.clone();
      Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, off, g, a);
      Rand.assertClose(dwRef, java.util.Arrays.copyOfRange(dw, off, off + g.weightSize()), tolerance(a, g),
          a + " backward weights, " + threads + " threads, " + g);
      for (int i : new int[] {0, 1, 2, off + g.weightSize(), off + g.weightSize() + 1}) {
        assertTrue(dw[i] == guard[i], "wrote outside dw at " + i);
      }
    }, 1, 2, 4);
  }

  /**
   * Every pass with its transformed tiles (V, M, Z) placed from a cache-line boundary, as they are where their
   * scratch arrays are humongous under G1 ({@link Scratch#lineAligned}): this thread's scratch is grown to that
   * size first, so the runs here start past index 0 (the other tests' small layers may start at 0, and a
   * forgotten offset would go unseen there).
   */
  @ParameterizedTest
  @MethodSource("cases")
  void transformedTilesPlacedFromALineBoundaryStillMatch(ConvAlgorithm a, ConvGeom g) {
    long humongous = CacheLines.humongousFloats();
    org.junit.jupiter.api.Assumptions.assumeTrue(humongous > 0, "line boundaries are known under G1 only");
    float[] v = Scratch.lineAligned(Scratch.TRANSFORMED_IN, (int) humongous);
    float[] z = Scratch.lineAligned(Scratch.TRANSFORMED_OUT, (int) humongous);
    org.junit.jupiter.api.Assumptions.assumeTrue(CacheLines.start(v) > 0 && CacheLines.start(z) > 0,
        "this JVM's arrays start on a line boundary");
    SplittableRandom rnd = new SplittableRandom(g.hashCode() + 2);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] yRef = new float[g.outputSize()];
    float[] dxRef = new float[g.inputSize()];
    float[] dwRef = new float[g.weightSize()];
    Conv2dNaive.forward(x, 0, w, 0, null, 0, yRef, 0, g);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
    // One thread: the calling thread, whose scratch was grown, runs every block.
    OnThreads.each(threads -> {
      float[] y = new float[g.outputSize()];
      float[] dx = new float[g.inputSize()];
      Conv2dKernels.forward(x, 0, w, 0, null, 0, y, 0, g, a);
      Rand.assertClose(yRef, y, tolerance(a, g), a + " forward from a line boundary, " + g);
      Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, a);
      Rand.assertClose(dxRef, dx, tolerance(a, g), a + " backward data from a line boundary, " + g);
      if (a.supports(g, Pass.BACKWARD_WEIGHTS)) {
        float[] dw = new float[g.weightSize()];
        Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g, a);
        Rand.assertClose(dwRef, dw, tolerance(a, g), a + " backward weights from a line boundary, " + g);
      }
    }, 1);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void offsetsIntoLargerArraysAreRespected(ConvAlgorithm a, ConvGeom g) {
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
    Conv2dKernels.forward(x, off, w, off, null, 0, y, off, g, a);
    Rand.assertClose(yRef, java.util.Arrays.copyOfRange(y, off, off + g.outputSize()), tolerance(a, g),
        a + " forward " + g);
    for (int i = 0; i < off; i++) {
      assertTrue(y[i] == guard[i], "wrote before its output at " + i);
    }
    for (int i = off + g.outputSize(); i < y.length; i++) {
      assertTrue(y[i] == guard[i], "wrote past its output at " + i);
    }
  }

  @ParameterizedTest
  @MethodSource("defaults")
  void theDefaultEntryPointsTakeItAndStillMatch(ConvAlgorithm a, ConvGeom g) {
    org.junit.jupiter.api.Assertions.assertEquals(a, ConvAlgorithm.heuristic(g, Pass.FORWARD));
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
    Rand.assertClose(yRef, y, tolerance(a, g), "forward");
    Rand.assertClose(dxRef, dx, tolerance(a, g), "backward data");
  }

  /**
   * 32 to 64 channels on planes 32 wide and more take F(2x2, 3x3) for their weight gradient by default (ResNet-18's
   * first stage); 16 channels, smaller planes and more channels do not.
   */
  @org.junit.jupiter.api.Test
  void theDefaultWeightGradientTakesItOn32To64ChannelsOfLargePlanesAndStillMatches() {
    // Measured with AVX-512's 16 lanes: elsewhere (AVX2, or the scalar path) the implicit GEMM stays.
    ConvAlgorithm taken = Simd.AVAILABLE && Simd.LANES >= 16 ? ConvAlgorithm.WINOGRAD : ConvAlgorithm.IMPLICIT_GEMM;
    ConvGeom g = ConvGeom.of(2, 32, 33, 32, 40, 3, 3, 1, 1, 1, 1);
    org.junit.jupiter.api.Assertions.assertEquals(taken, ConvAlgorithm.heuristic(g, Pass.BACKWARD_WEIGHTS));
    org.junit.jupiter.api.Assertions.assertEquals(taken, ConvAlgorithm.heuristic(
        ConvGeom.of(8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1), Pass.BACKWARD_WEIGHTS));
    for (ConvGeom other : new ConvGeom[] {ConvGeom.of(3, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1),
        ConvGeom.of(3, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1), ConvGeom.of(3, 32, 56, 56, 128, 3, 3, 1, 1, 1, 1),
        ConvGeom.of(3, 40, 40, 40, 96, 3, 3, 1, 1, 1, 1)}) {
      org.junit.jupiter.api.Assertions.assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(other,
          Pass.BACKWARD_WEIGHTS), other.toString());
    }
    SplittableRandom rnd = new SplittableRandom(13);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] dw = new float[g.weightSize()];
    float[] dwRef = new float[g.weightSize()];
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
    Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g);
    Rand.assertClose(dwRef, dw, tolerance(taken, g), "backward weights");
  }

  @org.junit.jupiter.api.Test
  void onlyUndilatedUngroupedStrideOne3x3Or5x5() {
    for (WinogradConv f : new WinogradConv[] {WinogradConv.F2, WinogradConv.F4}) {
      assertFalse(f.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 2, 1, 1, 1)), "stride 2");
      assertFalse(f.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 2, 2, 1)), "dilated");
      assertFalse(f.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 1, 1, 2)), "grouped");
      assertFalse(f.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 3, 1, 1)), "padding past the kernel");
      assertFalse(f.supports(ConvGeom.of(1, 4, 9, 9, 4, 7, 7, 1, 3, 1, 1)), "7x7");
      assertFalse(f.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 5, 1, 1, 1, 1)), "3x5");
    }
    assertFalse(WinogradConv.F2.supports(ConvGeom.of(1, 4, 9, 9, 4, 5, 5, 1, 2, 1, 1)), "5x5 in F(2x2, 3x3)");
    assertTrue(WinogradConv.F4.supports(ConvGeom.of(1, 4, 9, 9, 4, 5, 5, 1, 2, 1, 1)), "5x5 in F(4x4, .)");
    assertFalse(WinogradConv.F4.supports(ConvGeom.of(1, 4, 9, 9, 4, 5, 5, 1, 5, 1, 1)), "5x5 padding past it");
    // Weight gradients while each thread's accumulators stay within 4 MB: 64 channels under F(2x2, 3x3), 32 under
    // F(4x4, .).
    assertTrue(ConvAlgorithm.WINOGRAD.supports(ConvGeom.of(1, 64, 9, 9, 64, 3, 3, 1, 1, 1, 1), Pass.BACKWARD_WEIGHTS));
    assertFalse(ConvAlgorithm.WINOGRAD.supports(ConvGeom.of(1, 64, 9, 9, 68, 3, 3, 1, 1, 1, 1),
        Pass.BACKWARD_WEIGHTS));
    assertTrue(ConvAlgorithm.WINOGRAD_4X4.supports(ConvGeom.of(1, 32, 9, 9, 32, 3, 3, 1, 1, 1, 1),
        Pass.BACKWARD_WEIGHTS));
    assertFalse(ConvAlgorithm.WINOGRAD_4X4.supports(ConvGeom.of(1, 64, 9, 9, 32, 3, 3, 1, 1, 1, 1),
        Pass.BACKWARD_WEIGHTS));
    assertFalse(ConvAlgorithm.WINOGRAD.supports(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 2, 1, 1, 1), Pass.BACKWARD_WEIGHTS));
  }
}
