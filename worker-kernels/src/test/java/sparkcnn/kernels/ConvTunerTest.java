package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.BiPredicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sparkcnn.kernels.ConvAlgorithm.Pass;

/** Every algorithm on every geometry it supports equals the naive loops; the tuner picks among those only. */
class ConvTunerTest {
  static Stream<ConvGeom> geometries() {
    return Stream.concat(Stream.of(
        ConvGeom.of(2, 3, 9, 11, 5, 3, 3, 1, 1, 1, 1),        // implicit, im2col
        ConvGeom.of(1, 4, 12, 10, 6, 3, 3, 2, 1, 1, 1),       // stride 2: implicit (dx by phases), im2col
        ConvGeom.of(2, 8, 7, 6, 12, 1, 1, 1, 0, 1, 1),        // pointwise
        ConvGeom.of(3, 12, 2, 3, 9, 1, 1, 1, 0, 1, 3),        // grouped pointwise on small planes (ShuffleNet)
        ConvGeom.of(3, 64, 96, 96, 5, 1, 1, 1, 0, 1, 1),      // pointwise, one image per batched run
        ConvGeom.of(7, 10, 64, 64, 6, 1, 1, 1, 0, 1, 1),      // pointwise, runs of several images (1 MB L2: 3 + 4)
        ConvGeom.of(2, 6, 8, 7, 9, 3, 3, 1, 1, 1, 3),         // groups
        ConvGeom.of(2, 3, 14, 13, 4, 5, 5, 1, 2, 1, 1),       // 5x5: FFT too
        ConvGeom.of(1, 2, 16, 16, 3, 7, 7, 1, 3, 1, 1),       // 7x7: FFT too
        ConvGeom.of(2, 5, 9, 8, 5, 3, 3, 1, 1, 1, 5),         // depthwise: rows, taps, im2col
        ConvGeom.same(1, 4, 11, 13, 4, 5, 5, 2, 1, 4),        // depthwise 5x5 stride 2
        ConvGeom.of(1, 3, 8, 8, 3, 3, 3, 1, 2, 2, 3),         // dilated depthwise: taps, im2col
        ConvGeom.of(3, 16, 2, 2, 16, 3, 3, 1, 1, 1, 16),      // depthwise on 2x2 planes: shifts, lanes
        ConvGeom.of(9, 5, 4, Simd.LANES / 4, 5, 5, 5, 1, 2, 1, 5), // depthwise, planes of a vector: matrices
        ConvGeom.of(3, 4, 4, Simd.LANES / 4, 4, 3, 3, 2, 1, 1, 4), // from planes of a vector: the matrices' rows
        ConvGeom.of(2, 6, 1, 1, 5, 3, 3, 1, 1, 1, 1),         // a 1-pixel image, padded (the zoo's last stages)
        ConvGeom.of(2, 6, 1, 1, 5, 5, 5, 1, 2, 1, 1),         // 5x5 on 1 pixel: runs that start before the image
        ConvGeom.of(2, 4, 25, 26, 5, 3, 3, 3, 1, 1, 1),       // stride 3: the phases' scalar split
        ConvGeom.of(1, 3, 35, 37, 4, 11, 11, 4, 2, 1, 1),     // 11x11 stride 4 (AlexNet's stem)
        ConvGeom.of(3, 4, 7, 7, 6, 1, 1, 2, 0, 1, 1),         // strided 1x1: implicit reads one phase of four
        new ConvGeom(2, 3, 19, 40, 4, 3, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1), // stride (3, 2): vector split, 3 row phases
        ConvGeom.of(2, 4, 17, 15, 6, 3, 3, 2, 2, 2, 2),       // stride 2, dilation 2, groups: phases of dx too
        ConvGeom.of(1, 3, 20, 19, 4, 3, 3, 2, 3, 3, 1),       // stride 2, dilation 3: taps 3 apart in a phase
        ConvGeom.of(2, 4, 8, 9, 6, 2, 2, 2, 0, 1, 1),         // 2x2 stride 2: one tap per phase
        ConvGeom.of(2, 3, 17, 16, 4, 5, 5, 3, 2, 1, 1),       // 5x5 stride 3 pad 2: dx by phases at stride 3
        ConvGeom.of(1, 3, 16, 14, 5, 3, 3, 3, 0, 1, 1),       // 3x3 stride 3, unpadded: one tap per phase
        ConvGeom.same(2, 3, 9, 11, 4, 3, 3, 2, 1, 1),         // "same" stride 2 on odd sizes (asymmetric padding)
        ConvGeom.same(2, 4, 10, 12, 32, 3, 3, 2, 1, 1),       // even sizes: padded only below and right; 32 filters
                                                              // (GEMM's weight gradient, over a frame)
        ConvGeom.of(2, 64, 6, 6, 64, 3, 3, 1, 1, 1, 1),       // 64 channels: Winograd by default, implicit too
        ConvGeom.of(1, 16, 14, 15, 17, 5, 5, 1, 2, 1, 1),     // 5x5, 16 channels: Winograd F(4x4, 5x5) by default
        ConvGeom.of(1, 64, 16, 17, 65, 3, 3, 1, 1, 1, 1),     // 3x3, 64 channels on 16x16: F(4x4, 3x3) by default
        ConvGeom.of(1, 64, 1, 1, 64, 3, 3, 1, 1, 1, 1),       // 64 channels on one pixel: implicit by default
        // Stride 1 through the implicit GEMM's widths (PhasedImage.strideOneWidth): unequal padding left and
        // right (a gutter of the larger, 2, where the padded row has 3 more columns); padding on one side only,
        // either side (the gutter is then the padded width: a rule that took one side's padding fails them);
        // padding past the filter (a row of outputs wider than the gutter); dilation; 5x5 on 14 columns, where
        // the forward's layout takes the gutter too (16 columns a row, 7 whole panels an image, not 18).
        new ConvGeom(2, 3, 9, 13, 4, 3, 4, 1, 1, 1, 1, 1, 2, 1, 1, 1),
        new ConvGeom(2, 3, 9, 21, 5, 3, 3, 1, 1, 1, 0, 1, 2, 1, 1, 1),
        new ConvGeom(2, 3, 9, 21, 5, 3, 3, 1, 1, 1, 2, 1, 0, 1, 1, 1),
        ConvGeom.of(2, 3, 8, 19, 4, 2, 2, 1, 3, 1, 1),
        ConvGeom.of(2, 3, 11, 20, 4, 3, 3, 1, 2, 2, 1),
        ConvGeom.of(3, 5, 14, 14, 7, 5, 5, 1, 2, 1, 1)), Stream.concat(Stream.of(WHOLE_PANEL_ROWS),
        Stream.of(ROW_PAIRS)));
  }

  /**
   * Output rows of one vector in a layout with extra columns, which the implicit GEMM computes two to a register
   * panel (ImplicitConv.rowPairs): stride 2 with groups and an odd number of output rows (the last panel one
   * row); batch 1 with L output rows (with 16 lanes two blocks of rows, shared out between threads, the second
   * shorter); stride 1 with 288 filter rows (with 16 lanes more than a packed block of depth, the later blocks
   * added onto y), forward and (10 filters) backward data; 5x5 stride 2 with padding 2. The strided ones'
   * backward data through their phases (StridedBackwardData) takes the pairs too: its column phase 0 is L + 1 wide.
   */
  static final ConvGeom[] ROW_PAIRS = {
      ConvGeom.of(1, 4, 9, 2 * Simd.LANES, 6, 3, 3, 2, 1, 1, 2),
      ConvGeom.of(1, 4, 2 * Simd.LANES, 2 * Simd.LANES, 6, 3, 3, 2, 1, 1, 1),
      ConvGeom.of(2, 32, 7, Simd.LANES, 10, 3, 3, 1, 1, 1, 1),
      ConvGeom.of(2, 3, 11, 2 * Simd.LANES, 4, 5, 5, 2, 2, 1, 1)};

  /**
   * Output rows of whole register panels (64 columns: two of AVX-512's, four of AVX2's; 32: one or two), which the
   * implicit GEMM writes straight into y row by row: batch 1 (its blocks of rows shared out between threads) with
   * more filter rows than a packed block of depth (432, the later blocks added onto y), forward and (48 filters)
   * backward data; stride 2 with groups; 5x5 with padding 2.
   */
  static final ConvGeom[] WHOLE_PANEL_ROWS = {
      ConvGeom.of(1, 48, 5, 64, 12, 3, 3, 1, 1, 1, 1),
      ConvGeom.of(1, 8, 4, 64, 48, 3, 3, 1, 1, 1, 1),
      ConvGeom.of(3, 4, 9, 128, 6, 3, 3, 2, 1, 1, 2),
      ConvGeom.of(2, 3, 6, 32, 5, 5, 5, 1, 2, 1, 1)};

  /**
   * Those geometries do take the row-wise path and the pairs of rows, forward and (stride 1) backward data, so the
   * test below covers them.
   */
  @Test
  void wholePanelRowsGoRowWiseAndVectorWideRowsInPairs() {
    assertPath(WHOLE_PANEL_ROWS, ImplicitConv::rowWise);
    assertPath(ROW_PAIRS, ImplicitConv::rowPairs);
  }

  private static void assertPath(ConvGeom[] geometries, BiPredicate<ConvGeom, PhasedImage> path) {
    for (ConvGeom g : geometries) {
      assertTrue(path.test(g, PhasedImage.forOutputs(g)), "forward " + g);
      if (g.strideH() == 1) {
        ConvGeom flipped = ImplicitConv.flippedGeometry(g);
        assertTrue(path.test(flipped, PhasedImage.forOutputs(flipped)), "backward data " + g);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("geometries")
  void everySupportedAlgorithmMatchesTheNaiveLoops(ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] y = new float[g.outputSize()];
    float[] dx = new float[g.inputSize()];
    float[] dw0 = Rand.floats(rnd, g.weightSize());
    float[] yRef = new float[g.outputSize()];
    float[] dxRef = new float[g.inputSize()];
    float[] dwRef = dw0.clone();
    Conv2dNaive.forward(x, 0, w, 0, b, 0, yRef, 0, g);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
    for (ConvAlgorithm a : ConvAlgorithm.values()) {
      // FFT rounds more: its sums go through transforms of the padded planes.
      // Winograd too, a little: its transforms add and subtract before the products (F(4x4, .)'s points 2 and 1/2
      // scale terms before they cancel: up to 1.6e-5 of the largest output measured).
      double tol = a == ConvAlgorithm.FFT || a == ConvAlgorithm.WINOGRAD_4X4 ? 1e-4
          : a == ConvAlgorithm.WINOGRAD ? 3e-5 : 1e-5;
      if (a.supports(g, Pass.FORWARD)) {
        java.util.Arrays.fill(y, Float.NaN); // forward overwrites every element
        Conv2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g, a);
        Rand.assertClose(yRef, y, tol, a + " forward " + g);
      }
      if (a.supports(g, Pass.BACKWARD_DATA)) {
        java.util.Arrays.fill(dx, Float.NaN); // backwardInput overwrites every element
        Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, a);
        Rand.assertClose(dxRef, dx, tol, a + " backwardInput " + g);
      }
      if (a.supports(g, Pass.BACKWARD_WEIGHTS)) {
        float[] dw = dw0.clone();
        Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g, a);
        Rand.assertClose(dwRef, dw, tol, a + " backwardWeights " + g);
      }
    }
  }

  @Test
  void theGeometriesAboveExerciseEveryAlgorithmInEveryPass() {
    for (ConvAlgorithm a : ConvAlgorithm.values()) {
      for (Pass pass : Pass.values()) {
        if ((a == ConvAlgorithm.WINOGRAD || a == ConvAlgorithm.WINOGRAD_4X4) && pass == Pass.BACKWARD_WEIGHTS) {
          continue;
        }
        assertTrue(geometries().anyMatch(g -> a.supports(g, pass)), a + " " + pass);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("geometries")
  void theTunerChoosesASupportedAlgorithmAndTheTunedKernelsAgree(ConvGeom g) {
    for (Pass pass : Pass.values()) {
      ConvTuner.Choice c = ConvTuner.tune(g, pass);
      assertTrue(c.chosen().supports(g, pass), c + " for " + pass + " " + g);
      for (ConvTuner.Timing t : c.timings()) {
        assertTrue(t.algorithm().supports(g, pass), t + " timed for " + pass + " " + g);
      }
      assertEquals(c, ConvTuner.tune(g, pass), "remembered, not measured again");
    }
    boolean was = ConvTuner.enabled();
    ConvTuner.setEnabled(true);
    try {
      SplittableRandom rnd = new SplittableRandom(7);
      float[] x = Rand.floats(rnd, g.inputSize());
      float[] w = Rand.floats(rnd, g.weightSize());
      float[] y = new float[g.outputSize()];
      float[] yRef = new float[g.outputSize()];
      Conv2dKernels.forward(x, 0, w, 0, null, 0, y, 0, g);
      Conv2dNaive.forward(x, 0, w, 0, null, 0, yRef, 0, g);
      Rand.assertClose(yRef, y, 1e-4, "tuned forward " + g);
    } finally {
      ConvTuner.setEnabled(was);
    }
  }

  @Test
  void theHeuristicIsWhatRanBeforeTheTuner() {
    assertEquals(ConvAlgorithm.DEPTHWISE_PLANES, ConvAlgorithm.heuristic(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 2, 1, 1, 4),
        Pass.FORWARD));
    assertEquals(ConvAlgorithm.DEPTHWISE_ROWS, ConvAlgorithm.heuristic(new ConvGeom(1, 4, 9, 9, 4, 3, 3, 2, 2, 3, 1,
        1, 1, 1, 1, 4), Pass.BACKWARD_DATA), "padding past the filter: rows");
    assertEquals(ConvAlgorithm.DEPTHWISE_PLANES, ConvAlgorithm.heuristic(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 1, 1, 4),
        Pass.BACKWARD_WEIGHTS));
    ConvGeom wide = ConvGeom.of(1, 4, 112, 112, 4, 7, 7, 1, 3, 1, 4);
    // A 118x118 frame (56 KB) is past L1 on the machines measured; one with a larger L1 keeps the planes.
    ConvAlgorithm pastL1 = DepthwisePlanes.fitsL1(wide) ? ConvAlgorithm.DEPTHWISE_PLANES : ConvAlgorithm.DEPTHWISE_ROWS;
    assertEquals(pastL1, ConvAlgorithm.heuristic(wide, Pass.BACKWARD_DATA), "a 7x7 plane past L1 at stride 1: rows");
    // Small planes put their channels across the lanes: 4x4 and below, 8x8 and below when strided; but with 16
    // lanes a 4x4 plane fills a vector, and the matrices take its passes: forward and backward data wherever a
    // plane of theirs is one vector, the weight gradient where it sweeps no more than 16 columns or rows. (Forward
    // onto 2x2 planes at stride 2 takes the lanes only below batch 32: DepthwiseKernelsTest.matrixGroups...)
    boolean matrix = Simd.AVAILABLE && Simd.LANES == 16;
    ConvAlgorithm lanes = Simd.AVAILABLE ? ConvAlgorithm.DEPTHWISE_LANES : ConvAlgorithm.DEPTHWISE_PLANES;
    ConvGeom tiny = ConvGeom.of(8, 96, 4, 4, 96, 5, 5, 1, 2, 1, 96);
    ConvGeom strided8 = ConvGeom.of(8, 96, 8, 8, 96, 3, 3, 2, 1, 1, 96);
    ConvGeom unstrided8 = ConvGeom.of(8, 96, 8, 8, 96, 3, 3, 1, 1, 1, 96);
    ConvGeom strided4 = ConvGeom.of(8, 96, 4, 4, 96, 3, 3, 2, 1, 1, 96);
    // Planes that fit whole in a vector, several to a vector, are permuted in registers.
    ConvGeom shifted = ConvGeom.of(8, 96, 2, 2, 96, 3, 3, 1, 1, 1, 96);
    for (Pass pass : Pass.values()) {
      assertEquals(Simd.AVAILABLE ? ConvAlgorithm.DEPTHWISE_SHIFTS : ConvAlgorithm.DEPTHWISE_PLANES,
          ConvAlgorithm.heuristic(shifted, pass), "3x3 on 2x2 planes: shifts");
      ConvAlgorithm shifts = Simd.AVAILABLE && Simd.LANES >= 16 ? ConvAlgorithm.DEPTHWISE_SHIFTS : lanes;
      assertEquals(matrix ? ConvAlgorithm.DEPTHWISE_MATRIX : shifts, ConvAlgorithm.heuristic(tiny, pass),
          "5x5 on 4x4: the matrices with 16 lanes");
      assertEquals(matrix && pass == Pass.FORWARD ? ConvAlgorithm.DEPTHWISE_MATRIX : lanes,
          ConvAlgorithm.heuristic(strided8, pass), "8x8 at stride 2: lanes, but the matrices' columns forward");
      assertEquals(matrix && pass != Pass.FORWARD ? ConvAlgorithm.DEPTHWISE_MATRIX : lanes,
          ConvAlgorithm.heuristic(strided4, pass), "4x4 at stride 2: lanes forward, the matrices' rows backward");
      assertEquals(ConvAlgorithm.DEPTHWISE_PLANES, ConvAlgorithm.heuristic(unstrided8, pass), "8x8: planes");
    }
    ConvGeom wideStrided = ConvGeom.of(1, 4, 112, 112, 4, 3, 3, 2, 1, 1, 4);
    for (Pass pass : Pass.values()) {
      assertEquals(ConvAlgorithm.DEPTHWISE_PLANES, ConvAlgorithm.heuristic(wideStrided, pass),
          "swept 3x3: planes at any size");
      assertEquals(ConvAlgorithm.DEPTHWISE_PLANES, ConvAlgorithm.heuristic(ConvGeom.of(1, 4, 112, 112, 4, 5, 5, 1, 2,
          1, 4), pass), "swept 5x5: planes at any size");
    }
    assertEquals(ConvAlgorithm.DEPTHWISE_PLANES, ConvAlgorithm.heuristic(wideStrided, Pass.BACKWARD_DATA),
        "strided backward data: planes, whose phases interleave by vector");
    assertEquals(ConvAlgorithm.DEPTHWISE_TAPS, ConvAlgorithm.heuristic(ConvGeom.of(1, 4, 9, 9, 4, 3, 3, 1, 2, 2, 4),
        Pass.BACKWARD_DATA));
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(ConvGeom.of(1, 4, 9, 9, 8, 3, 3, 1, 1, 1, 1),
        Pass.FORWARD));
    ConvGeom resnet = ConvGeom.of(2, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1);
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(resnet, Pass.FORWARD),
        "many channels, wide planes: 4x4 tiles");
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(resnet, Pass.BACKWARD_DATA));
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(resnet, Pass.BACKWARD_WEIGHTS));
    assertEquals(ConvAlgorithm.WINOGRAD, ConvAlgorithm.heuristic(ConvGeom.of(2, 256, 14, 14, 256, 3, 3, 1, 1, 1,
        1), Pass.FORWARD), "14x14 planes: 2x2 tiles");
    ConvGeom tfConvnet = ConvGeom.same(2, 32, 14, 14, 64, 5, 5, 1, 1, 1);
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(tfConvnet, Pass.FORWARD), "5x5, 32 channels");
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(tfConvnet, Pass.BACKWARD_DATA));
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(ConvGeom.same(2, 1, 28, 28, 32, 5, 5, 1, 1, 1),
        Pass.FORWARD), "5x5 on one channel: implicit");
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(ConvGeom.same(2, 32, 7, 7, 64, 5, 5, 1, 1, 1),
        Pass.FORWARD), "5x5 on 7x7 planes: implicit");
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(ConvGeom.same(2, 16, 14, 14, 16, 5, 5, 1, 1, 1),
        Pass.FORWARD), "5x5, exactly 16 channels on 14x14");
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(ConvGeom.same(2, 15, 14, 14, 16, 5, 5, 1, 1, 1),
        Pass.FORWARD), "5x5, 15 channels in");
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(ConvGeom.of(2, 64, 16, 16, 64, 3, 3, 1, 1, 1, 1),
        Pass.FORWARD), "3x3, 64 channels on 16x16");
    assertEquals(ConvAlgorithm.WINOGRAD, ConvAlgorithm.heuristic(ConvGeom.of(2, 64, 15, 15, 64, 3, 3, 1, 1, 1, 1),
        Pass.FORWARD), "3x3, 64 channels on 15x15: 2x2 tiles");
    assertEquals(ConvAlgorithm.WINOGRAD, ConvAlgorithm.heuristic(ConvGeom.of(2, 256, 7, 7, 256, 3, 3, 1, 1, 1,
        1), Pass.FORWARD), "narrow planes too");
    assertEquals(ConvAlgorithm.WINOGRAD, ConvAlgorithm.heuristic(ConvGeom.of(2, 64, 8, 8, 64, 3, 3, 1, 1, 1,
        1), Pass.BACKWARD_DATA), "64 channels on 8x8 planes (ResNet-20's last stage)");
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(ConvGeom.of(2, 32, 16, 16, 64, 3, 3, 1, 1, 1,
        1), Pass.FORWARD), "32 channels in on 16x16 (ResNet-20's second stage): F(4x4, 3x3)");
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(ConvGeom.of(2, 32, 8, 8, 64, 3, 3, 1, 1, 1,
        1), Pass.FORWARD), "32 channels in on 8x8: implicit");
    assertEquals(ConvAlgorithm.WINOGRAD_4X4, ConvAlgorithm.heuristic(ConvGeom.of(2, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1),
        Pass.FORWARD), "64 channels on wide planes");
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(ConvGeom.of(2, 16, 32, 32, 16, 3, 3, 1, 1, 1,
        1), Pass.FORWARD), "few channels: implicit");
    ConvGeom strided = ConvGeom.of(1, 16, 32, 32, 32, 3, 3, 2, 1, 1, 1);
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(strided, Pass.FORWARD), "strided: phases");
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(strided, Pass.BACKWARD_WEIGHTS));
    assertEquals(ConvAlgorithm.IM2COL_GEMM, ConvAlgorithm.heuristic(strided, Pass.BACKWARD_DATA));
    ConvGeom stridedSmall = ConvGeom.of(1, 128, 8, 8, 256, 3, 3, 2, 1, 1, 1);
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(stridedSmall, Pass.FORWARD));
    assertEquals(ConvAlgorithm.IM2COL_GEMM, ConvAlgorithm.heuristic(stridedSmall, Pass.BACKWARD_WEIGHTS),
        "4x4 outputs: 20 columns an image");
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(stridedSmall, Pass.BACKWARD_DATA),
        "128 input channels: dx by phases");
    ConvGeom projection = ConvGeom.of(1, 64, 32, 32, 128, 1, 1, 2, 0, 1, 1);
    for (Pass pass : Pass.values()) {
      assertEquals(ConvAlgorithm.IM2COL_GEMM, ConvAlgorithm.heuristic(projection, pass), "strided 1x1: " + pass);
    }
    assertEquals(ConvAlgorithm.IM2COL_GEMM, ConvAlgorithm.heuristic(ConvGeom.of(1, 4, 9, 9, 8, 1, 1, 1, 0, 1, 1),
        Pass.FORWARD), "pointwise forward: one GEMM on the image");
    assertEquals(ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.heuristic(ConvGeom.of(1, 4, 9, 9, 8, 1, 1, 1, 0, 1, 1),
        Pass.BACKWARD_WEIGHTS));
    for (Pass pass : Pass.values()) {
      assertEquals(ConvAlgorithm.POINTWISE_BATCHED, ConvAlgorithm.heuristic(ConvGeom.of(2, 4, 9, 9, 8, 1, 1, 1, 0, 1,
          1), pass), "pointwise, two images: " + pass);
    }
  }

  /**
   * The stopwatch times a candidate once the JIT has gone quiet, not at its first calls: here a pass whose first
   * five calls take 5 ms each while a stand-in for the JIT's compilation clock moves (as a kernel does in the
   * interpreter while its loops are compiled), and the rest 0.1 ms. Timed after one warm-up call, as before, it
   * measured 5 ms. Quiet means 15 ms as well as three calls: a clock that moves every fifth 2 ms call (10 ms apart)
   * keeps the candidate warming up until it stops. With the clock still throughout, three calls are warmed up and
   * two timed. Both clocks are driven by hand (a pass advances the time by its duration): with the wall clock, a
   * CI run beside other JVMs saw a 15-ms gap between two 2-ms calls and stopped the warm-up early.
   */
  @Test
  void candidatesAreTimedOnceTheJitHasGoneQuiet() {
    long[] now = {0};
    int[] calls = {0};
    double seconds = ConvTuner.settling(() -> Math.min(calls[0], 5), () -> now[0]).seconds(
        ConvAlgorithm.IMPLICIT_GEMM, () -> now[0] += calls[0]++ < 5 ? 5_000_000L : 100_000L);
    assertEquals(1e-4, seconds, 1e-12);
    int[] steady = {0};
    double settled = ConvTuner.settling(() -> Math.min(steady[0], 21) / 5, () -> now[0]).seconds(
        ConvAlgorithm.IMPLICIT_GEMM, () -> now[0] += steady[0]++ < 21 ? 2_000_000L : 100_000L);
    assertEquals(1e-4, settled, 1e-12, "timed after " + steady[0] + " calls");
    int[] quietCalls = {0};
    double slow = ConvTuner.settling(() -> 7, () -> now[0]).seconds(ConvAlgorithm.IMPLICIT_GEMM, () -> {
      quietCalls[0]++;
      now[0] += 30_000_000L;
    });
    assertEquals(0.03, slow, 1e-12);
    assertEquals(5, quietCalls[0], "three calls warmed up, two timed");
  }


  /** dx by stride phases: each phase's padding must come out non-negative (padding up to kernel less stride). */
  @Test
  void stridedBackwardDataByPhasesNeedsPaddingWithinKernelLessStride() {
    assertTrue(ConvAlgorithm.IMPLICIT_GEMM.supports(ConvGeom.of(1, 4, 9, 9, 8, 3, 3, 2, 1, 1, 1),
        Pass.BACKWARD_DATA));
    assertTrue(ConvAlgorithm.IMPLICIT_GEMM.supports(ConvGeom.of(1, 4, 10, 10, 8, 5, 5, 3, 2, 1, 1),
        Pass.BACKWARD_DATA));
    assertFalse(ConvAlgorithm.IMPLICIT_GEMM.supports(ConvGeom.of(1, 4, 9, 9, 8, 3, 3, 2, 2, 1, 1),
        Pass.BACKWARD_DATA));
    assertFalse(ConvAlgorithm.IMPLICIT_GEMM.supports(ConvGeom.of(1, 4, 9, 9, 8, 3, 3, 3, 1, 1, 1),
        Pass.BACKWARD_DATA));
  }

  @Test
  void anUnsupportedAlgorithmIsRefusedNamingIt() {
    // Padding past the kernel's reach: a stride phase's sub-convolution would need negative padding.
    ConvGeom padded = ConvGeom.of(1, 4, 9, 9, 8, 3, 3, 2, 3, 1, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2dKernels.backwardInput(
        new float[padded.outputSize()], 0, new float[padded.weightSize()], 0, new float[padded.inputSize()], 0,
        padded, ConvAlgorithm.IMPLICIT_GEMM));
    assertTrue(e.getMessage().startsWith("implicit-gemm cannot compute the backward_data pass"), e.getMessage());
  }
}
