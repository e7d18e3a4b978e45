package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class Conv2dTest {
  static Stream<ConvGeom> geometries() {
    return Stream.of(
        ConvGeom.of(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1),        // odd sizes, padding
        ConvGeom.of(1, 4, 11, 10, 6, 3, 3, 2, 1, 1, 1),      // batch 1, stride 2
        ConvGeom.of(3, 5, 9, 9, 4, 3, 2, 1, 2, 2, 1),        // dilation 2, non-square kernel
        ConvGeom.of(2, 6, 8, 7, 9, 3, 3, 1, 1, 1, 3),        // groups
        ConvGeom.of(2, 8, 6, 5, 16, 1, 1, 1, 0, 1, 1),       // pointwise
        ConvGeom.of(2, 8, 6, 5, 12, 1, 1, 1, 0, 1, 4),       // grouped pointwise (ShuffleNet)
        ConvGeom.of(2, 7, 23, 23, 10, 1, 1, 1, 0, 1, 1),     // pointwise, planes long enough to read in place
        ConvGeom.of(2, 6, 23, 23, 8, 1, 1, 1, 0, 1, 2),      // the same, grouped
        ConvGeom.of(1, 512, 3, 3, 256, 1, 1, 1, 0, 1, 1),    // pointwise, many channels: weight gradient by GEMM
        ConvGeom.of(1, 64, 6, 6, 64, 3, 3, 1, 1, 1, 1),      // 3x3, many channels: weight gradient by GEMM
        ConvGeom.of(3, 4, 7, 7, 6, 1, 1, 2, 0, 1, 1),        // strided 1x1 (ResNet projection)
        ConvGeom.of(2, 5, 9, 8, 5, 3, 3, 1, 1, 1, 5),        // depthwise
        ConvGeom.of(2, 4, 10, 11, 4, 5, 5, 2, 2, 1, 4),      // depthwise 5x5 stride 2
        ConvGeom.of(2, 6, 7, 9, 6, 5, 5, 1, 2, 1, 6),        // depthwise 5x5 stride 1 (padded-plane path)
        ConvGeom.of(1, 4, 6, 5, 4, 3, 3, 1, 0, 1, 4),        // depthwise 3x3 unpadded (padded-plane path)
        ConvGeom.of(1, 3, 8, 8, 3, 3, 3, 1, 2, 2, 3),        // depthwise dilated
        ConvGeom.same(2, 3, 9, 10, 4, 4, 4, 2, 1, 1),        // asymmetric "same" padding
        ConvGeom.same(2, 2, 5, 5, 3, 5, 5, 1, 1, 1),         // kernel as large as the input
        new ConvGeom(2, 3, 6, 7, 4, 3, 2, 2, 1, 0, 2, 1, 0, 1, 1, 1), // explicit asymmetric padding/strides
        ConvGeom.of(1, 6, 13, 11, 10, 3, 3, 1, 2, 2, 2),     // batch 1, stride 1: column blocks in parallel
        ConvGeom.of(2, 3, 6, 6, 4, 3, 3, 1, 3, 1, 1),        // padding past the kernel's reach
        ConvGeom.of(3, 5, 9, 7, 8, 5, 5, 1, 2, 1, 1),        // 5x5 "same", the convnet's layer shape
        ConvGeom.of(4, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1),    // big enough for the threaded and blocked paths
        ConvGeom.of(1, 48, 4, 64, 8, 3, 3, 1, 1, 1, 1),      // output rows of whole register panels, deep
        ConvGeom.of(1, 8, 4, 64, 48, 3, 3, 1, 1, 1, 1),      // the same for backward data
        ConvGeom.of(2, 5, 9, 2 * Simd.LANES, 6, 3, 3, 2, 1, 1, 1), // output rows of a vector, two a panel, odd P
        ConvGeom.of(1, 6, 7, Simd.LANES, 10, 3, 3, 1, 1, 1, 1), // the same at stride 1, forward and backward data
        // Strided, through the stride phases (PhasedImage): rows wider than a vector (its loads), odd sizes,
        // strides 3 and (2, 1) / (1, 2) (the scalar split, a stride-1 direction), dilation, groups, batch 1.
        ConvGeom.of(2, 5, 37, 35, 7, 3, 3, 2, 1, 1, 1),      // 3x3 stride 2, phase rows past a vector
        ConvGeom.of(1, 3, 23, 21, 8, 7, 7, 2, 3, 1, 1),      // 7x7 stride 2 pad 3 (the ResNet stem), batch 1
        ConvGeom.of(2, 4, 13, 14, 5, 3, 3, 3, 1, 1, 1),      // stride 3
        ConvGeom.of(2, 4, 17, 15, 6, 3, 3, 2, 2, 2, 2),      // stride 2, dilation 2, groups
        new ConvGeom(2, 3, 11, 36, 4, 3, 5, 2, 1, 1, 2, 0, 1, 1, 1, 1), // stride (2, 1), asymmetric padding
        new ConvGeom(2, 3, 10, 35, 4, 5, 3, 1, 2, 2, 1, 2, 1, 1, 1, 1)); // stride (1, 2), wide rows
  }

  @ParameterizedTest
  @MethodSource("geometries")
  void allPassesMatchTheNaiveLoops(ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] dy = Rand.floats(rnd, g.outputSize());

    float[] y = new float[g.outputSize()];
    float[] yRef = new float[g.outputSize()];
    Conv2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g);
    Conv2dNaive.forward(x, 0, w, 0, b, 0, yRef, 0, g);
    Rand.assertClose(yRef, y, 1e-5, "forward " + g);

    float[] dx = Rand.floats(rnd, g.inputSize()); // garbage: backwardInput overwrites
    float[] dxRef = new float[g.inputSize()];
    Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
    Rand.assertClose(dxRef, dx, 1e-5, "backwardInput " + g);

    float[] dw = Rand.floats(rnd, g.weightSize()); // backwardWeights accumulates onto this
    float[] dwRef = dw.clone();
    Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g);
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
    Rand.assertClose(dwRef, dw, 1e-5, "backwardWeights " + g);
  }

  /**
   * Forward with the weights packed once ({@link Conv2dKernels#packedWeights}, as inference graphs keep them):
   * every algorithm that supports the geometry, with the bias and a fused activation, equals the naive loops; the
   * GEMM-based ones read the packed copy (checked by packing other weights: their output then follows those), the
   * rest ignore it. A repack of new weights goes into the same array.
   */
  @ParameterizedTest
  @MethodSource("geometries")
  void forwardFromPackedWeightsMatchesTheNaiveLoops(ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode() + 1);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, 3 + g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] yRef = new float[g.outputSize()];
    float[] w0 = java.util.Arrays.copyOfRange(w, 3, w.length);
    Conv2dNaive.forward(x, 0, w0, 0, b, 0, yRef, 0, g);
    Activations.Fn.RELU.apply(yRef, 0, yRef.length);
    float[] packed = Conv2dKernels.packedWeights(w, 3, g.k(), g.colRows(), g.groups(), null);
    float[] other = Rand.floats(rnd, g.weightSize());
    for (ConvAlgorithm a : ConvAlgorithm.values()) {
      if (!a.supports(g, ConvAlgorithm.Pass.FORWARD)) {
        continue;
      }
      float[] y = Rand.floats(rnd, g.outputSize()); // garbage: forward overwrites
      Conv2dKernels.forward(x, 0, w, 3, packed, b, 0, y, 0, g, a, Activations.Fn.RELU);
      Rand.assertClose(yRef, y, 1e-5, "forward from packed weights, " + a + ", " + g);
      // Which weights it read: the packed ones of other weights, with w itself unchanged.
      boolean gemm = a == ConvAlgorithm.IM2COL_GEMM || a == ConvAlgorithm.IMPLICIT_GEMM
          || a == ConvAlgorithm.POINTWISE_BATCHED;
      float[] swapped = Conv2dKernels.packedWeights(other, 0, g.k(), g.colRows(), g.groups(), null);
      float[] expected = new float[g.outputSize()];
      Conv2dNaive.forward(x, 0, gemm ? other : w0, 0, b, 0, expected, 0, g);
      Activations.Fn.RELU.apply(expected, 0, expected.length);
      Conv2dKernels.forward(x, 0, w, 3, swapped, b, 0, y, 0, g, a, Activations.Fn.RELU);
      Rand.assertClose(expected, y, 1e-5, "forward from other packed weights, " + a + ", " + g);
    }
    assertTrue(packed == Conv2dKernels.packedWeights(other, 0, g.k(), g.colRows(), g.groups(), packed));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2dKernels.forward(x, 0, w,
        3, new float[packed.length + 1], b, 0, new float[g.outputSize()], 0, g, Activations.Fn.NONE));
    assertTrue(e.getMessage().contains("packed weights for " + g.k() + " filters"), e.getMessage());
  }

  /**
   * im2col's backward data folds a column stride of 2 into dx's column phases when output rows hold a vector or
   * more (Im2col.foldAddPhases): odd and even widths, paddings that put taps left and right of the input (into the
   * phase rows' margins), no padding, dilation with groups, kernels as large as and smaller than twice the stride,
   * a row stride of 1 and of 3; checked against the naive loops, over garbage in dx.
   */
  @ParameterizedTest
  @MethodSource("columnStrideTwo")
  void im2colBackwardDataThroughColumnPhasesMatchesTheNaiveLoops(ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode() + 7);
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] dx = Rand.floats(rnd, g.inputSize());
    float[] dxRef = new float[g.inputSize()];
    Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, ConvAlgorithm.IM2COL_GEMM);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
    Rand.assertClose(dxRef, dx, 1e-5, "im2col backwardInput " + g);
  }

  static Stream<ConvGeom> columnStrideTwo() {
    return Stream.of(
        ConvGeom.of(2, 16, 32, 32, 32, 3, 3, 2, 1, 1, 1),              // ResNet-20's 16->32
        ConvGeom.of(1, 3, 45, 47, 8, 7, 7, 2, 3, 1, 1),                // the 7x7 stem, odd sizes
        ConvGeom.of(2, 4, 40, 41, 6, 3, 3, 2, 0, 1, 1),                // no padding
        ConvGeom.of(2, 4, 21, 39, 6, 3, 3, 2, 2, 2, 2),                // dilation 2, groups
        ConvGeom.of(2, 3, 8, 64, 5, 2, 2, 2, 0, 1, 1),                 // 2x2 stride 2: taps never overlap
        ConvGeom.of(1, 3, 9, 70, 4, 4, 4, 2, 1, 1, 1),                 // 4x4 stride 2 pad 1
        new ConvGeom(2, 3, 12, 37, 4, 3, 5, 3, 2, 1, 0, 1, 4, 1, 1, 1),  // row stride 3, uneven column padding
        new ConvGeom(1, 2, 6, 41, 3, 3, 3, 1, 2, 1, 2, 1, 0, 1, 1, 1), // row stride 1, padding only at the left
        // Output rows of whole vectors (16 columns), whose rows of a tap are added in one run: rows outside the
        // input at both ends at row stride 3; dilation 2 with groups and padding above only; enough input channels
        // (64) that the column matrix is cut into blocks of output rows (14 and 2), the second starting past row 0.
        new ConvGeom(2, 3, 14, 32, 4, 3, 3, 3, 2, 2, 1, 2, 1, 1, 1, 1),
        new ConvGeom(2, 4, 11, 32, 6, 3, 3, 2, 2, 3, 2, 0, 1, 2, 2, 2),
        ConvGeom.of(1, 64, 32, 32, 8, 3, 3, 2, 1, 1, 1));
  }

  @ParameterizedTest
  @MethodSource("geometries")
  void backwardMatchesFiniteDifferences(ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode() + 1);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] dx = new float[g.inputSize()];
    float[] dw = new float[g.weightSize()];
    float[] db = new float[g.k()];
    Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g);
    Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g);
    Conv2dKernels.backwardBias(dy, 0, db, 0, g);
    GradCheck.check("dx " + g, xs -> conv(g, xs, w, b), x, dy, dx, 1e-3);
    GradCheck.check("dw " + g, ws -> conv(g, x, ws, b), w, dy, dw, 1e-3);
    GradCheck.check("db " + g, bs -> conv(g, x, w, bs), b, dy, db, 1e-3);
  }

  private static float[] conv(ConvGeom g, float[] x, float[] w, float[] b) {
    float[] y = new float[g.outputSize()];
    Conv2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g);
    return y;
  }

  /**
   * A stride can leave the last row and column in no window (34x32 input, 3x3 stride 2, no padding): their values
   * never enter the direct sums, so an Inf or NaN there must not reach the implicit GEMM's weight gradient through
   * the columns it computes and drops.
   */
  @Test
  void pixelsNoWindowCoversStayOutOfTheStridedWeightGradient() {
    ConvGeom g = ConvGeom.of(2, 2, 34, 32, 3, 3, 3, 2, 0, 1, 1);
    SplittableRandom rnd = new SplittableRandom(17);
    float[] x = Rand.floats(rnd, g.inputSize());
    for (int plane = 0; plane < g.n() * g.c(); plane++) {
      for (int i = 0; i < g.h(); i++) {
        x[(plane * g.h() + i) * g.w() + g.w() - 1] = Float.POSITIVE_INFINITY;
      }
      for (int j = 0; j < g.w(); j++) {
        x[(plane * g.h() + g.h() - 1) * g.w() + j] = j % 2 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
      }
    }
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] dw = new float[g.weightSize()];
    float[] dwRef = new float[g.weightSize()];
    Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g, ConvAlgorithm.IMPLICIT_GEMM);
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
    Rand.assertClose(dwRef, dw, 1e-5, "strided weight gradient with non-finite pixels outside every window");
    float[] y = new float[g.outputSize()];
    float[] yRef = new float[g.outputSize()];
    Conv2dKernels.forward(x, 0, new float[g.weightSize()], 0, null, 0, y, 0, g, ConvAlgorithm.IMPLICIT_GEMM);
    Rand.assertClose(yRef, y, 0, "zero weights: zero output, whatever the uncovered pixels hold");
  }

  @Test
  void offsetsIntoLargerArraysAreHonoured() {
    ConvGeom g = ConvGeom.of(2, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1);
    SplittableRandom rnd = new SplittableRandom(3);
    float[] x = Rand.floats(rnd, g.inputSize() + 7);
    float[] w = Rand.floats(rnd, g.weightSize() + 5);
    float[] y = new float[g.outputSize() + 11];
    float[] yRef = new float[g.outputSize() + 11];
    Conv2dKernels.forward(x, 7, w, 5, null, 0, y, 11, g);
    Conv2dNaive.forward(x, 7, w, 5, null, 0, yRef, 11, g);
    Rand.assertClose(yRef, y, 1e-5, "forward with offsets");
  }

  @Test
  void badGeometriesAndOperandsSayWhatIsWrong() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConvGeom.of(1, 3, 4, 4, 8, 7, 7, 1, 1, 1, 1));
    assertTrue(e.getMessage().contains("kernel 7x7 is larger than the padded input 6x6"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvGeom.of(1, -3, 4, 4, 8, 3, 3, 1, 1, 1, 1));
    assertTrue(e.getMessage().contains("channels must be positive, got -3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvGeom.of(1, 6, 4, 4, 8, 3, 3, 1, 1, 1, 4));
    assertTrue(e.getMessage().contains("4 groups must divide"), e.getMessage());
    ConvGeom g = ConvGeom.of(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1);
    e = assertThrows(IllegalArgumentException.class, () -> Conv2dKernels.forward(new float[g.inputSize()], 0,
        new float[10], 0, null, 0, new float[g.outputSize()], 0, g));
    assertTrue(e.getMessage().contains("conv2d forward w: expected shape (4, 3, 3, 3)")
        && e.getMessage().contains("holds 10 floats"), e.getMessage());
  }

  @Test
  void arithmeticOfTheNotes() {
    // Output size 1 + (W + 2P - K) / S; parameters K (C K_H K_W / groups + 1).
    ConvGeom g = ConvGeom.of(1, 3, 227, 227, 96, 11, 11, 4, 0, 1, 1);
    assertTrue(g.p() == 55 && g.q() == 55);
    assertTrue(g.paramCount(true) == 96L * (3 * 11 * 11 + 1));
    // The Inception example: 5x5 192->32 on 28x28 costs 120,422,400 multiply-adds.
    assertTrue(ConvGeom.same(1, 192, 28, 28, 32, 5, 5, 1, 1, 1).macs() == 120_422_400L);
    assertTrue(ConvGeom.of(1, 192, 28, 28, 16, 1, 1, 1, 0, 1, 1).macs() == 2_408_448L);
    assertTrue(ConvGeom.same(1, 16, 28, 28, 32, 5, 5, 1, 1, 1).macs() == 10_035_200L);
  }
}
