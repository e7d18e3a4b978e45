package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The depthwise kernels (row streaming; flattened planes) against the naive loops and the reference kernels, on
 * randomized geometries: odd sizes, batch 1, strides 1-3, kernels 1-7 (non-square too), asymmetric padding up to
 * past the kernel's reach, widths below and above a vector's lanes, planes from 1x1 up.
 */
class DepthwiseKernelsTest {
  /** Every geometry with each fast algorithm that supports it. */
  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    geometries().forEach(g -> {
      for (ConvAlgorithm a : new ConvAlgorithm[] {ConvAlgorithm.DEPTHWISE_ROWS, ConvAlgorithm.DEPTHWISE_PLANES,
          ConvAlgorithm.DEPTHWISE_LANES, ConvAlgorithm.DEPTHWISE_SHIFTS}) {
        if (a.supports(g, ConvAlgorithm.Pass.FORWARD)) {
          out.add(Arguments.of(a, g));
        }
      }
    });
    return out.stream();
  }

  static Stream<ConvGeom> geometries() {
    List<ConvGeom> gs = new ArrayList<>();
    // The shapes the efficient networks use, at small sizes: 3x3 and 5x5, stride 1 and 2, "same" padding.
    gs.add(ConvGeom.of(1, 3, 9, 9, 3, 3, 3, 1, 1, 1, 3));
    gs.add(ConvGeom.of(2, 4, 12, 13, 4, 3, 3, 2, 1, 1, 4));
    gs.add(ConvGeom.of(1, 5, 17, 15, 5, 5, 5, 1, 2, 1, 5));
    gs.add(ConvGeom.same(2, 3, 19, 21, 3, 5, 5, 2, 1, 3));
    gs.add(ConvGeom.of(1, 2, 70, 69, 2, 3, 3, 1, 1, 1, 2)); // rows longer than four vectors
    gs.add(ConvGeom.of(1, 2, 33, 67, 2, 5, 5, 2, 2, 1, 2));
    SplittableRandom rnd = new SplittableRandom(16);
    for (int i = 0; i < 24; i++) {
      int r = 1 + rnd.nextInt(7);
      int s = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(7) : r;
      int sh = 1 + rnd.nextInt(3);
      int sw = rnd.nextInt(2) == 0 ? sh : 1 + rnd.nextInt(3);
      int pt = rnd.nextInt(r + 1);
      int pl = rnd.nextInt(s + 1);
      int pb = rnd.nextInt(r + 1);
      int pr = rnd.nextInt(s + 1);
      int h = Math.max(1, r - pt - pb) + rnd.nextInt(30);
      int w = Math.max(1, s - pl - pr) + rnd.nextInt(50);
      int c = 1 + rnd.nextInt(5);
      gs.add(new ConvGeom(1 + rnd.nextInt(3), c, h, w, c, r, s, sh, sw, pt, pl, pb, pr, 1, 1, c));
    }
    // Stride 1 with padding inside the filter's reach (what the flattened planes take), planes from 1x1 to wide.
    gs.add(ConvGeom.of(3, 4, 1, 1, 4, 3, 3, 1, 1, 1, 4));
    gs.add(ConvGeom.of(2, 3, 2, 2, 3, 5, 5, 1, 2, 1, 3));
    gs.add(ConvGeom.of(1, 2, 4, 4, 2, 3, 3, 1, 1, 1, 2));
    // Whole planes per vector (the shifts): 4x4, 2x2 and 1x1 planes, 3x3 and 5x5, an even filter padded on one side,
    // channels filling whole vectors.
    gs.add(ConvGeom.of(2, 3, 4, 4, 3, 3, 3, 1, 1, 1, 3));
    gs.add(ConvGeom.of(3, 8, 2, 2, 8, 3, 3, 1, 1, 1, 8));
    gs.add(ConvGeom.of(2, 16, 1, 1, 16, 3, 3, 1, 1, 1, 16));
    gs.add(ConvGeom.of(1, 8, 2, 2, 8, 5, 5, 1, 2, 1, 8));
    gs.add(ConvGeom.of(2, 2, 4, 4, 2, 5, 5, 1, 2, 1, 2));
    gs.add(new ConvGeom(1, 3, 4, 4, 3, 2, 2, 1, 1, 0, 1, 1, 0, 1, 1, 3));
    for (int i = 0; i < 16; i++) {
      int r = 1 + rnd.nextInt(7);
      int s = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(7) : r;
      int pt = rnd.nextInt(r);
      int pl = rnd.nextInt(s);
      int pb = rnd.nextInt(r);
      int pr = rnd.nextInt(s);
      int h = Math.max(1, r - pt - pb) + rnd.nextInt(i < 8 ? 6 : 40);
      int w = Math.max(1, s - pl - pr) + rnd.nextInt(i < 8 ? 6 : 60);
      int c = 1 + rnd.nextInt(5);
      gs.add(new ConvGeom(1 + rnd.nextInt(3), c, h, w, c, r, s, 1, 1, pt, pl, pb, pr, 1, 1, c));
    }
    return gs.stream();
  }

  @Test
  void everyGeometryHasTheRowKernelsAndThoseInTheFiltersReachTheFlattenedPlanesToo() {
    // (A 1x1 unpadded stride-1 filter is pointwise: the GEMM paths take it.)
    geometries().filter(g -> !g.isPointwise()).forEach(g -> {
      assertTrue(ConvAlgorithm.DEPTHWISE_ROWS.supports(g, ConvAlgorithm.Pass.FORWARD), g.toString());
      boolean inReach = g.padTop() < g.r() && g.padBottom() < g.r() && g.padLeft() < g.s() && g.padRight() < g.s();
      assertEquals(inReach, ConvAlgorithm.DEPTHWISE_PLANES.supports(g, ConvAlgorithm.Pass.FORWARD), g.toString());
      assertEquals(inReach, ConvAlgorithm.DEPTHWISE_PLANES.supports(g, ConvAlgorithm.Pass.BACKWARD_WEIGHTS));
      assertEquals(inReach, ConvAlgorithm.DEPTHWISE_PLANES.supports(g, ConvAlgorithm.Pass.BACKWARD_DATA));
    });
    assertTrue(cases().filter(c -> c.get()[0] == ConvAlgorithm.DEPTHWISE_PLANES).count() >= 20);
  }

  /**
   * Inference's epilogue inside the depthwise kernels (bias and activation on each plane or row while in L1)
   * equals the kernel without it followed by the bias and the activation over the whole output.
   */
  @ParameterizedTest
  @MethodSource("cases")
  void biasAndActivationInsideTheKernelMatchThemAfterIt(ConvAlgorithm a, ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode() + 1);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k() + 2);
    for (Activations.Fn act : new Activations.Fn[] {Activations.Fn.NONE, Activations.Fn.RELU6, Activations.Fn.SILU}) {
      float[] fused = Rand.floats(rnd, g.outputSize());
      Conv2dKernels.forward(x, 0, w, 0, b, 2, fused, 0, g, a, act);
      float[] after = new float[g.outputSize()];
      Conv2dKernels.forward(x, 0, w, 0, null, 0, after, 0, g, a);
      int plane = g.p() * g.q();
      for (int pl = 0; pl < g.n() * g.k(); pl++) {
        for (int j = 0; j < plane; j++) {
          after[pl * plane + j] += b[2 + pl % g.k()];
        }
      }
      act.apply(after, 0, after.length);
      Rand.assertClose(after, fused, 1e-6, a + " " + act + " " + g);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void allPassesMatchTheNaiveLoopsAndTheReference(ConvAlgorithm a, ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] dy = Rand.floats(rnd, g.outputSize());
    float[] noBias = new float[g.k()];

    float[] y = Rand.floats(rnd, g.outputSize()); // garbage: forward overwrites
    float[] naive = new float[g.outputSize()];
    float[] reference = new float[g.outputSize()];
    Conv2dKernels.forward(x, 0, w, 0, null, 0, y, 0, g, a);
    Conv2dNaive.forward(x, 0, w, 0, noBias, 0, naive, 0, g);
    DepthwiseReference.forward(x, 0, w, 0, reference, 0, g);
    Rand.assertClose(naive, y, 1e-5, a + " " + "forward " + g);
    Rand.assertClose(reference, y, 1e-5, a + " " + "forward vs reference " + g);

    if (!a.supports(g, ConvAlgorithm.Pass.BACKWARD_DATA)) {
      weights(a, g, x, dy, rnd);
      return;
    }
    float[] dx = Rand.floats(rnd, g.inputSize());
    float[] dxNaive = new float[g.inputSize()];
    float[] dxReference = new float[g.inputSize()];
    Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, a);
    Conv2dNaive.backwardInput(dy, 0, w, 0, dxNaive, 0, g);
    DepthwiseReference.backwardInput(dy, 0, w, 0, dxReference, 0, g);
    Rand.assertClose(dxNaive, dx, 1e-5, a + " " + "backwardInput " + g);
    Rand.assertClose(dxReference, dx, 1e-5, a + " " + "backwardInput vs reference " + g);

    weights(a, g, x, dy, rnd);
  }

  private static void weights(ConvAlgorithm a, ConvGeom g, float[] x, float[] dy, SplittableRandom rnd) {
    float[] dw = Rand.floats(rnd, g.weightSize()); // accumulated onto
    float[] dwNaive = dw.clone();
    float[] dwReference = dw.clone();
    Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g, a);
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwNaive, 0, g);
    DepthwiseReference.backwardWeights(x, 0, dy, 0, dwReference, 0, g);
    Rand.assertClose(dwNaive, dw, 1e-5, a + " " + "backwardWeights " + g);
    Rand.assertClose(dwReference, dw, 1e-5, a + " " + "backwardWeights vs reference " + g);
  }

  /**
   * The swept 3x3 and 5x5 filters store whole vectors that reach past a plane into the next one: forward and
   * backward-data, placed in the middle of larger arrays, write their output region and nothing around it, on
   * one thread and on several (where each thread's last planes must not reach into another's).
   */
  @Test
  void sweptFiltersWriteTheirOutputAndNothingAroundIt() {
    OnThreads.each(t -> {
      for (ConvGeom g : new ConvGeom[] {ConvGeom.of(2, 3, 7, 7, 3, 3, 3, 1, 1, 1, 3),
          ConvGeom.of(1, 5, 14, 14, 5, 3, 3, 1, 1, 1, 5), ConvGeom.of(2, 3, 28, 28, 3, 5, 5, 1, 2, 1, 3),
          ConvGeom.same(2, 4, 15, 15, 4, 5, 5, 2, 1, 4), ConvGeom.of(1, 4, 9, 33, 4, 3, 3, 2, 1, 1, 4),
          ConvGeom.same(2, 4, 16, 16, 4, 3, 3, 2, 1, 4),
          // 5x5 at stride 2 on rows of three vectors and more: backward data by phases, the middle planes.
          ConvGeom.same(2, 3, 50, 53, 3, 5, 5, 2, 1, 3), ConvGeom.of(1, 4, 49, 64, 4, 5, 5, 2, 2, 1, 4),
          ConvGeom.of(2, 2, 20, 57, 2, 5, 5, 2, 1, 1, 2), ConvGeom.of(1, 4, 11, 48, 4, 5, 5, 2, 0, 1, 4),
          // 3x3 at stride 2 forward at every input column (DepthwiseEvenColumns): output rows under half a vector,
          // and a 1x1 plane; with 16 lanes the rows of 17-19 outputs (9x33 above, uneven padding, none) take the
          // column pairs (DepthwisePairs).
          ConvGeom.of(1, 3, 14, 14, 3, 3, 3, 2, 1, 1, 3),
          new ConvGeom(2, 3, 33, 35, 3, 3, 3, 2, 2, 2, 1, 0, 2, 1, 1, 3),
          new ConvGeom(1, 2, 4, 40, 2, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 2),
          ConvGeom.of(3, 2, 1, 1, 2, 3, 3, 2, 1, 1, 2),
          // Two columns padded by two on the left, two rows below; 18 wide padded by two on both sides.
          new ConvGeom(2, 2, 9, 2, 2, 3, 3, 2, 2, 1, 2, 2, 1, 1, 1, 2),
          new ConvGeom(1, 3, 7, 18, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 3),
          // Output rows of 49 and more, swept row by row from x where the reads stay inside x (below, x also placed
          // inside a larger array, so every plane is): odd width, uneven padding, none (the last block one output
          // wide); a whole last block (the bench's 112 with padding 1, 111), TF's SAME on an even width (none
          // above and left), two on the right.
          ConvGeom.of(2, 3, 9, 113, 3, 3, 3, 2, 1, 1, 3),
          new ConvGeom(1, 4, 10, 112, 4, 3, 3, 2, 2, 2, 2, 0, 1, 1, 1, 4),
          new ConvGeom(2, 3, 7, 100, 3, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 3),
          ConvGeom.of(1, 3, 6, 112, 3, 3, 3, 2, 1, 1, 3),
          ConvGeom.of(1, 3, 5, 111, 3, 3, 3, 2, 1, 1, 3), ConvGeom.same(2, 3, 6, 112, 3, 3, 3, 2, 1, 3),
          new ConvGeom(1, 3, 7, 110, 3, 3, 3, 2, 2, 1, 1, 2, 2, 1, 1, 3),
          // A partial last block whose middle tap column reaches past the row into a kept lane (two on the right,
          // 58 outputs; and on narrow planes, 10 and 5 outputs, for 16 and 8 lanes), and 4 outputs with padding 1.
          new ConvGeom(1, 2, 7, 113, 2, 3, 3, 2, 2, 1, 2, 1, 2, 1, 1, 2),
          new ConvGeom(2, 3, 9, 17, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 3),
          new ConvGeom(1, 2, 5, 7, 2, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 2), ConvGeom.of(2, 2, 8, 8, 2, 3, 3, 2, 1, 1, 2)}) {
        assertEquals(Simd.AVAILABLE, DepthwiseSweep.applies(g.r(), g.s(), g.strideH()), g.toString());
        SplittableRandom rnd = new SplittableRandom(g.hashCode());
        float[] x = Rand.floats(rnd, g.inputSize());
        float[] w = Rand.floats(rnd, g.weightSize());
        float[] dy = Rand.floats(rnd, g.outputSize());
        int guard = GUARD;
        float[] y = guarded(g.outputSize());
        Conv2dKernels.forward(x, 0, w, 0, null, 0, y, guard, g, ConvAlgorithm.DEPTHWISE_PLANES);
        float[] naive = new float[g.outputSize()];
        Conv2dNaive.forward(x, 0, w, 0, new float[g.k()], 0, naive, 0, g);
        Rand.assertClose(naive, java.util.Arrays.copyOfRange(y, guard, guard + naive.length), 1e-5, g.toString());
        assertGuards(y, guard, naive.length, "forward " + t + " threads " + g);
        float[] inside = Rand.floats(rnd, g.inputSize() + 2 * guard);
        System.arraycopy(x, 0, inside, guard, x.length);
        float[] y2 = guarded(g.outputSize());
        Conv2dKernels.forward(inside, guard, w, 0, null, 0, y2, guard, g, ConvAlgorithm.DEPTHWISE_PLANES);
        Rand.assertClose(naive, java.util.Arrays.copyOfRange(y2, guard, guard + naive.length), 1e-5,
            "x inside a larger array " + g);
        assertGuards(y2, guard, naive.length, "forward, x inside, " + t + " threads " + g);
        // Backward data sweeps too, at stride 2 over dy spread onto the input's grid.
        float[] dx = guarded(g.inputSize());
        Conv2dKernels.backwardInput(dy, 0, w, 0, dx, guard, g, ConvAlgorithm.DEPTHWISE_PLANES);
        float[] dxNaive = new float[g.inputSize()];
        Conv2dNaive.backwardInput(dy, 0, w, 0, dxNaive, 0, g);
        Rand.assertClose(dxNaive, java.util.Arrays.copyOfRange(dx, guard, guard + dxNaive.length), 1e-5,
            g.toString());
        assertGuards(dx, guard, dxNaive.length, "backwardInput " + t + " threads " + g);
      }
    }, 1, 3);
  }

  /**
   * The stride-2 forward at every input column reads past each row's ends into the neighbouring rows and clears
   * those lanes: an infinite value at a row's last and first columns reaches only the outputs whose window holds it,
   * every other output equal to the naive loops' with that value at zero.
   */
  @Test
  void evenColumnsKeepAnInfiniteValueToItsOwnWindows() {
    // Rows of three vectors through the strip; of eight, the middle plane row by row from x.
    for (ConvGeom g : new ConvGeom[] {ConvGeom.of(1, 2, 12, 20, 2, 3, 3, 2, 1, 1, 2),
        ConvGeom.of(1, 3, 12, 113, 3, 3, 3, 2, 1, 1, 3)}) {
      assertEquals(Simd.AVAILABLE, DepthwiseEvenColumns.applies(g));
      SplittableRandom rnd = new SplittableRandom(12);
      float[] x = Rand.floats(rnd, g.inputSize());
      float[] w = Rand.floats(rnd, g.weightSize());
      int[][] hot = {{3, g.w() - 1}, {6, 0}};
      float[] finite = x.clone();
      int plane = g.h() * g.w();
      for (int c = 0; c < g.c(); c++) {
        for (int[] at : hot) {
          x[c * plane + at[0] * g.w() + at[1]] = Float.POSITIVE_INFINITY;
          finite[c * plane + at[0] * g.w() + at[1]] = 0f;
        }
      }
      float[] y = new float[g.outputSize()];
      Conv2dKernels.forward(x, 0, w, 0, null, 0, y, 0, g, ConvAlgorithm.DEPTHWISE_PLANES);
      float[] naive = new float[g.outputSize()];
      Conv2dNaive.forward(finite, 0, w, 0, new float[g.k()], 0, naive, 0, g);
      int compared = 0;
      for (int c = 0; c < g.c(); c++) {
        for (int i = 0; i < g.p(); i++) {
          for (int j = 0; j < g.q(); j++) {
            boolean reaches = false;
            for (int[] at : hot) {
              int a = at[0] - 2 * i + g.padTop();
              int b = at[1] - 2 * j + g.padLeft();
              reaches |= a >= 0 && a < 3 && b >= 0 && b < 3;
            }
            int o = (c * g.p() + i) * g.q() + j;
            if (!reaches) {
              assertEquals(naive[o], y[o], 1e-5, g + " output " + c + "," + i + "," + j);
              compared++;
            }
          }
        }
      }
      assertTrue(compared > g.c() * g.p() * g.q() / 2, "compared " + compared);
    }
  }

  /**
   * The sweep straight from the unpadded plane, for 3x3 and 5x5 filters and every padding on each side from none to
   * the filter's reach less one, on planes from one row and column to several vectors wide: equal to the naive sum,
   * with NaN all around the plane in x (the lanes of kept outputs that a load takes from outside the plane must be
   * cleared, not weighted by zero) and in dst before the plane (which the sweep must not write; it may write a
   * vector past it).
   */
  @Test
  void unpaddedSweepMatchesTheNaiveSumForEveryPadding() {
    int l = Simd.LANES;
    int checked = 0;
    for (int r : new int[] {3, 5}) {
      for (int rows : new int[] {1, 2, 7, 12}) {
        for (int cols : new int[] {1, 5, l, l + 3, 2 * l, 3 * l - 1}) {
          for (int top = 0; top < r; top++) {
            for (int bottom = 0; bottom < r; bottom++) {
              for (int left = 0; left < r; left++) {
                for (int right = 0; right < r; right++) {
                  checked += checkUnpadded(r, rows, cols, top, bottom, left, right) ? 1 : 0;
                }
              }
            }
          }
        }
      }
    }
    assertTrue(!Simd.AVAILABLE || checked > 1000, "checked " + checked);
  }

  /**
   * Planes tall enough to be swept in several bands of rows (the r - 1 rows between two bands read by both, the
   * first band's padding above, the last band's below), equal to the naive sum. A band holds at most L1 / 16
   * floats of input, so planes of twice that many (plus an odd few rows) need several on any machine: fixed
   * heights of 40-80 rows did on a 32 KB L1 and fit one band on a Xeon's 48 KB.
   */
  @Test
  void unpaddedSweepInBandsMatchesTheNaiveSum() {
    int[][] planes = {{0, 32}, {5, 48}, {8, 28}};
    for (int r : new int[] {3, 5}) {
      for (int[] plane : planes) {
        for (int pad : new int[] {0, 1, r - 1}) {
          int cols = plane[1];
          int rows = (int) (2 * (CacheSizes.l1() / 16) / cols) + plane[0];
          int p = rows + 2 * pad - r + 1;
          int q = cols + 2 * pad - r + 1;
          assertTrue(!Simd.AVAILABLE || DepthwiseUnpaddedSweep.bandRows(cols, q, r, p) < p,
              "one band for " + rows + "x" + cols);
          checkUnpadded(r, rows, cols, pad, pad, pad, pad);
          checkUnpadded(r, rows, cols, pad, r - 1 - pad, r - 1 - pad, pad);
        }
      }
    }
  }

  /**
   * One rows x cols plane, padded top, bottom, left and right, through {@link DepthwiseUnpaddedSweep#combine}
   * against the naive sums; false if p or q would be empty or the Vector API is absent.
   */
  private static boolean checkUnpadded(int r, int rows, int cols, int top, int bottom, int left, int right) {
    int l = Simd.LANES;
    int p = rows + top + bottom - r + 1;
    int q = cols + left + right - r + 1;
    if (p < 1 || q < 1) {
      return false;
    }
    String at = r + "x" + r + " " + rows + "x" + cols + " padded " + top + "/" + bottom + "/" + left + "/" + right;
    SplittableRandom rnd = new SplittableRandom(at.hashCode());
    int margin = 2 * l + 8;
    float[] x = new float[margin + rows * cols + margin];
    java.util.Arrays.fill(x, Float.NaN);
    System.arraycopy(Rand.floats(rnd, rows * cols), 0, x, margin, rows * cols);
    float[] w = Rand.floats(rnd, r * r);
    float bias = (float) rnd.nextDouble(-1, 1);
    boolean applies = DepthwiseUnpaddedSweep.applies(x, margin, rows, cols, top, left, r, p, q);
    assertEquals(Simd.AVAILABLE, applies, at);
    if (!applies) {
      return false;
    }
    float[] dst = guarded(p * q + l);
    DepthwiseUnpaddedSweep.combine(x, margin, rows, cols, top, left, w, r, bias, dst, GUARD, p, q);
    float[] naive = new float[p * q];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < q; j++) {
        double sum = bias;
        for (int a = 0; a < r; a++) {
          for (int b = 0; b < r; b++) {
            int u = i + a - top;
            int v = j + b - left;
            if (u >= 0 && u < rows && v >= 0 && v < cols) {
              sum += (double) w[a * r + b] * x[margin + u * cols + v];
            }
          }
        }
        naive[i * q + j] = (float) sum;
      }
    }
    Rand.assertClose(naive, java.util.Arrays.copyOfRange(dst, GUARD, GUARD + p * q), 1e-5, at);
    for (int i = 0; i < GUARD; i++) {
      assertTrue(Float.isNaN(dst[i]), at + ": wrote before the plane at " + (i - GUARD));
    }
    return true;
  }

  /**
   * The 5x5 and 3x3 stride-2 forward over column pairs ({@link DepthwisePairs}), for every padding on each side from
   * none to the filter's size less one, on planes from one row and column to several blocks of outputs wide: equal
   * to the naive sum, with NaN all around the plane in x (lanes a kept output's load takes from outside its row must
   * be cleared), an infinite value inside the plane reaching only the outputs whose window holds it, and as an
   * infinity of its weight's sign (the tap read by two pairs is weighted half in each: a zero weight on one side made
   * it NaN), and nothing written before the plane's outputs (up to a vector after them).
   */
  @Test
  void pairsForwardMatchesTheNaiveSumForEveryPadding() {
    int checked = pairsPlanesPaddedEveryWay(5, (rows, cols, t, b, l, r) -> checkPairs(5, rows, cols, t, b, l, r));
    assertTrue(!Simd.AVAILABLE || checked > 5000, "checked " + checked);
    checked = pairsPlanesPaddedEveryWay(3, (rows, cols, t, b, l, r) -> checkPairs(3, rows, cols, t, b, l, r));
    assertTrue(!Simd.AVAILABLE || checked > 1000, "checked " + checked);
  }

  /** A check of one plane, rows x cols, padded top, bottom, left and right; false where it did not apply. */
  private interface PaddedPlaneCheck {
    boolean check(int rows, int cols, int top, int bottom, int left, int right);
  }

  /**
   * How many of the planes from one row and column to five blocks of the pairs' outputs wide, padded 0 to r - 1 on
   * each side, pass the check (each that applies must).
   */
  private static int pairsPlanesPaddedEveryWay(int r, PaddedPlaneCheck c) {
    int l = Simd.LANES;
    int checked = 0;
    for (int rows : new int[] {1, 2, 7, 12}) {
      for (int cols : new int[] {1, 6, l + 3, 2 * l + 1, 4 * l + 2, 5 * l - 1}) {
        for (int top = 0; top < r; top++) {
          for (int bottom = 0; bottom < r; bottom++) {
            for (int left = 0; left < r; left++) {
              for (int right = 0; right < r; right++) {
                checked += c.check(rows, cols, top, bottom, left, right) ? 1 : 0;
              }
            }
          }
        }
      }
    }
    return checked;
  }

  /**
   * One plane through {@link DepthwisePairs#plane} with an r x r filter (3x3 on any row length, whether or not the
   * forward sends it there); false where the output is empty or the Vector API absent.
   */
  private static boolean checkPairs(int r, int rows, int cols, int top, int bottom, int left, int right) {
    if (rows + top + bottom < r || cols + left + right < r) {
      return false;
    }
    ConvGeom g = new ConvGeom(1, 1, rows, cols, 1, r, r, 2, 2, top, left, bottom, right, 1, 1, 1);
    String at = r + "x" + r + " " + rows + "x" + cols + " padded " + top + "/" + bottom + "/" + left + "/" + right;
    assertTrue(r == 3 || Simd.AVAILABLE == DepthwisePairs.applies(g), at);
    if (!Simd.AVAILABLE) {
      return false;
    }
    SplittableRandom rnd = new SplittableRandom(at.hashCode());
    int margin = DepthwisePairs.before(g) + 3;
    float[] plane = Rand.floats(rnd, rows * cols);
    float[] x = pairsPlaneAmidNaN(plane, margin, g);
    int hot = rnd.nextInt(rows * cols);
    x[margin + hot] = Float.POSITIVE_INFINITY;
    plane[hot] = Float.POSITIVE_INFINITY;
    float[] w = Rand.floats(rnd, r * r);
    float bias = (float) rnd.nextDouble(-1, 1);
    int p = g.p();
    int q = g.q();
    float[] dst = guarded(p * q + Simd.LANES);
    DepthwisePairs.plane(x, margin, w, bias, new float[DepthwisePairs.sums(g)], dst, GUARD, g);
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < q; j++) {
        double sum = bias;
        for (int a = 0; a < r; a++) {
          for (int b = 0; b < r; b++) {
            int u = 2 * i + a - top;
            int v = 2 * j + b - left;
            if (u >= 0 && u < rows && v >= 0 && v < cols) {
              sum += (double) w[a * r + b] * plane[u * cols + v];
            }
          }
        }
        // An output whose window holds the infinite value is infinite, of its weight's sign; the others finite.
        assertEquals((float) sum, dst[GUARD + i * q + j], 1e-5, at + " output " + i + "," + j);
      }
    }
    for (int i = 0; i < GUARD; i++) {
      assertTrue(Float.isNaN(dst[i]), at + ": wrote before the plane at " + (i - GUARD));
    }
    return true;
  }

  /**
   * The 5x5 stride-2 weight gradient over column pairs ({@link DepthwisePairs#dots}, then {@link
   * DepthwisePairs#addInto}), for every padding on each side from none to four, on planes from one row and column to
   * several blocks wide: equal to the naive sums, with NaN all around the plane in x and past dy's last row (every
   * lane a load takes from outside its row must be cleared), added to what dw held and to nothing around it.
   */
  @Test
  void pairsWeightGradientMatchesTheNaiveSumForEveryPadding() {
    int checked = pairsPlanesPaddedEveryWay(5, DepthwiseKernelsTest::checkPairsWeights);
    assertTrue(!Simd.AVAILABLE || checked > 5000, "checked " + checked);
  }

  /** The plane at index margin of NaN, with NaN as far past it as the pairs' loads reach, and a little further. */
  private static float[] pairsPlaneAmidNaN(float[] plane, int margin, ConvGeom g) {
    float[] x = new float[margin + plane.length + DepthwisePairs.after(g) + 2];
    java.util.Arrays.fill(x, Float.NaN);
    System.arraycopy(plane, 0, x, margin, plane.length);
    assertTrue(DepthwisePairs.inPlace(x, margin, g), g.toString());
    return x;
  }

  /** One plane's weight gradient through the pairs; false where the output is empty or the Vector API absent. */
  private static boolean checkPairsWeights(int rows, int cols, int top, int bottom, int left, int right) {
    if (rows + top + bottom < 5 || cols + left + right < 5 || !Simd.AVAILABLE) {
      return false;
    }
    ConvGeom g = new ConvGeom(1, 1, rows, cols, 1, 5, 5, 2, 2, top, left, bottom, right, 1, 1, 1);
    String at = "pairs weights " + rows + "x" + cols + " padded " + top + "/" + bottom + "/" + left + "/" + right;
    SplittableRandom rnd = new SplittableRandom(at.hashCode());
    int margin = DepthwisePairs.before(g) + 3;
    float[] x = pairsPlaneAmidNaN(Rand.floats(rnd, rows * cols), margin, g);
    int p = g.p();
    int q = g.q();
    // An infinite value in the last column where no window reaches it, on a row that meets dy rows only (padded row
    // 4: dy rows 0 to 2): the lanes of outputs past q must be cleared.
    int row = 4 - top;
    if (2 * (q - 1) - left + 4 < cols - 1 && row >= 0 && row < rows && (row + top) / 2 < p) {
      x[margin + row * cols + cols - 1] = Float.POSITIVE_INFINITY;
    }
    // And one in a last row that no window reaches (past padded row 2p + 2), which the sweep must not read.
    if (rows - 1 + top > 2 * p + 2) {
      x[margin + (rows - 1) * cols] = Float.POSITIVE_INFINITY;
    }
    float[] dy = new float[p * q + Simd.LANES];
    java.util.Arrays.fill(dy, Float.NaN);
    System.arraycopy(Rand.floats(rnd, p * q), 0, dy, 0, p * q);
    float[] acc = new float[3 + DepthwisePairs.accumulators()];
    DepthwisePairs.dots(x, margin, dy, 0, acc, 3, g);
    assertEquals(0f, acc[0] + acc[1] + acc[2], at + ": wrote before the accumulators");
    float[] dw = Rand.floats(rnd, 2 + 25 + 2);
    float[] start = dw.clone();
    DepthwisePairs.addInto(acc, 3, dw, 2);
    for (int t = 0; t < 25; t++) {
      double dot = 0;
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < q; j++) {
          int u = 2 * i + t / 5 - top;
          int v = 2 * j + t % 5 - left;
          if (u >= 0 && u < rows && v >= 0 && v < cols) {
            dot += (double) x[margin + u * cols + v] * dy[i * q + j];
          }
        }
      }
      assertEquals(start[2 + t] + dot, dw[2 + t], 1e-4, at + " tap " + t);
    }
    for (int i : new int[] {0, 1, 27, 28}) {
      assertEquals(start[i], dw[i], at + ": wrote outside the filter at " + i);
    }
    return true;
  }

  /**
   * The 5x5 stride-1 weight gradient read straight from the unpadded plane, for every padding on each side from none
   * to four, on planes from one row and column to several vectors wide: equal to the naive sums, with NaN all around
   * the plane in x and past dy (every lane a load takes from outside the plane's row must be cleared, not
   * multiplied by a cleared dy lane), and adding to what the accumulators held.
   */
  @Test
  void unpaddedWeightGradientMatchesTheNaiveSumForEveryPadding() {
    int l = Simd.LANES;
    int checked = 0;
    for (int rows : new int[] {1, 3, 7, 12}) {
      for (int cols : new int[] {1, 5, l, l + 3, 2 * l, 3 * l - 1}) {
        for (int top = 0; top < 5; top++) {
          for (int bottom = 0; bottom < 5; bottom++) {
            for (int left = 0; left < 5; left++) {
              for (int right = 0; right < 5; right++) {
                checked += checkUnpaddedWeights(rows, cols, top, bottom, left, right) ? 1 : 0;
              }
            }
          }
        }
      }
    }
    assertTrue(!Simd.AVAILABLE || checked > 5000, "checked " + checked);
  }

  /** {@link #checkUnpadded} for {@link DepthwiseUnpaddedSweep#dots5}. */
  private static boolean checkUnpaddedWeights(int rows, int cols, int top, int bottom, int left, int right) {
    int l = Simd.LANES;
    int p = rows + top + bottom - 4;
    int q = cols + left + right - 4;
    if (p < 1 || q < 1) {
      return false;
    }
    String at = "5x5 weights " + rows + "x" + cols + " padded " + top + "/" + bottom + "/" + left + "/" + right;
    SplittableRandom rnd = new SplittableRandom(at.hashCode());
    int margin = 2 * l + 8;
    float[] x = new float[margin + rows * cols + margin];
    java.util.Arrays.fill(x, Float.NaN);
    System.arraycopy(Rand.floats(rnd, rows * cols), 0, x, margin, rows * cols);
    if (!DepthwiseUnpaddedSweep.applies(x, margin, rows, cols, top, left, 5, p, q)) {
      assertTrue(!Simd.AVAILABLE, at);
      return false;
    }
    float[] dy = new float[p * q + l];
    java.util.Arrays.fill(dy, Float.NaN);
    System.arraycopy(Rand.floats(rnd, p * q), 0, dy, 0, p * q);
    // Two taps' worth of lanes before the accumulators, and every tap starting from a value of its own.
    int at0 = 2 * l;
    float[] acc = Rand.floats(rnd, at0 + 25 * l);
    float[] start = acc.clone();
    DepthwiseUnpaddedSweep.dots5(x, margin, rows, cols, top, left, dy, 0, p, q, acc, at0);
    for (int i = 0; i < at0; i++) {
      assertEquals(start[i], acc[i], at + ": wrote before the accumulators at " + i);
    }
    float[] got = new float[25];
    float[] naive = new float[25];
    for (int t = 0; t < 25; t++) {
      double sum = 0;
      double before = 0;
      for (int k = 0; k < l; k++) {
        sum += acc[at0 + t * l + k];
        before += start[at0 + t * l + k];
      }
      got[t] = (float) (sum - before);
      int a = t / 5;
      int b = t % 5;
      double dot = 0;
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < q; j++) {
          int u = i + a - top;
          int v = j + b - left;
          if (u >= 0 && u < rows && v >= 0 && v < cols) {
            dot += (double) x[margin + u * cols + v] * dy[i * q + j];
          }
        }
      }
      naive[t] = (float) dot;
    }
    Rand.assertClose(naive, got, 1e-4, at);
    return true;
  }

  /**
   * The backward data of 3x3 and 5x5 filters at stride 2 swept over dy spread along its rows, for every padding on
   * each side from none to the filter's reach less one, on planes one to three vectors wide (the last column block
   * overlapping the one before it) and one row to several high (rows completed outside the plane go to the spill
   * row): equal to the naive loops', with NaN in every scratch buffer beforehand and around dx (which it must not
   * write), on one thread and, for a few shapes with several planes per thread, on three.
   */
  @Test
  void sweptStrideTwoBackwardDataMatchesTheNaiveLoopsForEveryPadding() {
    int l = Simd.LANES;
    int[] swept = new int[1];
    OnThreads.each(t -> {
      for (int r : new int[] {3, 5}) {
        for (int h : new int[] {1, 2, 7, 12}) {
          for (int w : new int[] {l, l + 3, 2 * l + 1}) {
            swept[0] += checkDataForEveryPadding(r, h, w);
          }
        }
      }
    }, 1);
    assertTrue(!Simd.AVAILABLE || swept[0] > 3000, "swept geometries: " + swept[0]);
    OnThreads.each(t -> {
      for (ConvGeom g : new ConvGeom[] {new ConvGeom(3, 5, 9, l + 5, 5, 5, 5, 2, 2, 1, 2, 2, 1, 1, 1, 5),
          new ConvGeom(2, 4, 16, 16, 4, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 4),
          ConvGeom.same(2, 3, 56, 56, 3, 5, 5, 2, 1, 3)}) {
        assertEquals(Simd.AVAILABLE, DepthwiseSpreadData.appliesSwept(g), g.toString());
        checkDataAmidNaN(g);
      }
    }, 1, 3);
  }

  /**
   * {@link #checkDataAmidNaN} for an r x r filter at stride 2 on an h x w plane with every padding on each side
   * below r; how many of those geometries took the swept backward data.
   */
  private static int checkDataForEveryPadding(int r, int h, int w) {
    int swept = 0;
    for (int top = 0; top < r; top++) {
      for (int bottom = 0; bottom < r; bottom++) {
        for (int left = 0; left < r; left++) {
          for (int right = 0; right < r; right++) {
            if (h + top + bottom < r) {
              continue; // no output row
            }
            ConvGeom g = new ConvGeom(1, 2, h, w, 2, r, r, 2, 2, top, left, bottom, right, 1, 1, 2);
            swept += DepthwiseSpreadData.appliesSwept(g) && !DepthwiseSpreadData.applies(g) ? 1 : 0;
            checkDataAmidNaN(g);
          }
        }
      }
    }
    return swept;
  }

  /** dx of one geometry through the planes' kernels against the naive loops, amid NaN (see above). */
  private static void checkDataAmidNaN(ConvGeom g) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] dy = Rand.floats(rnd, g.outputSize());
    if (Parallel.threads() == 1) {
      // One thread runs the kernel on this one: its scratch poisoned directly, without the pool's pauses.
      for (int slot : new int[] {Scratch.PADDED, Scratch.COLUMNS, Scratch.PARTIAL}) {
        java.util.Arrays.fill(Scratch.floats(slot, 1 << 14), Float.NaN);
      }
    } else {
      poisonScratch();
    }
    float[] dx = guarded(g.inputSize());
    Conv2dKernels.backwardInput(dy, 0, w, 0, dx, GUARD, g, ConvAlgorithm.DEPTHWISE_PLANES);
    float[] naive = new float[g.inputSize()];
    Conv2dNaive.backwardInput(dy, 0, w, 0, naive, 0, g);
    String at = "backwardInput on " + Parallel.threads() + " threads " + g;
    Rand.assertClose(naive, java.util.Arrays.copyOfRange(dx, GUARD, GUARD + naive.length), 1e-5, at);
    assertGuards(dx, GUARD, naive.length, at);
  }

  /**
   * The swept weight gradient sums whole vectors down the frame (or, 5x5 at stride 1, down x in place and a copy of
   * a tensor's first and last planes), so its lanes past each row and its rows past the plane must read zeros it
   * wrote itself, or (dy, read as it is) lanes it cleared: with every
   * scratch buffer full of NaN beforehand (what an earlier kernel may leave there), dw still equals the naive
   * loops' on the shapes the sweep takes.
   */
  @Test
  void sweptWeightGradientReadsNoScratchItDidNotWrite() {
    OnThreads.each(t -> {
      for (ConvGeom g : new ConvGeom[] {ConvGeom.of(2, 3, 7, 7, 3, 3, 3, 1, 1, 1, 3),
          ConvGeom.of(1, 2, 14, 17, 2, 3, 3, 1, 1, 1, 2), ConvGeom.of(2, 3, 13, 11, 3, 3, 3, 2, 1, 1, 3),
          ConvGeom.same(1, 2, 12, 12, 2, 3, 3, 2, 1, 2), ConvGeom.of(2, 3, 9, 20, 3, 5, 5, 1, 2, 1, 3),
          ConvGeom.same(2, 4, 15, 15, 4, 5, 5, 2, 1, 4), ConvGeom.of(1, 2, 2, 2, 2, 5, 5, 1, 2, 1, 2)}) {
        assertEquals(Simd.AVAILABLE, DepthwiseSweep.applies(g.r(), g.s(), g.strideH()), g.toString());
        SplittableRandom rnd = new SplittableRandom(g.hashCode());
        float[] x = Rand.floats(rnd, g.inputSize());
        float[] dy = Rand.floats(rnd, g.outputSize());
        poisonScratch();
        float[] dw = new float[g.weightSize()];
        Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g, ConvAlgorithm.DEPTHWISE_PLANES);
        float[] naive = new float[g.weightSize()];
        Conv2dNaive.backwardWeights(x, 0, dy, 0, naive, 0, g);
        Rand.assertClose(naive, dw, 1e-5, "backwardWeights " + g);
      }
    }, 1);
  }

  /**
   * The swept weight gradients (3x3 and 5x5 at stride 1 and 2, but for the layers the masked and spread kernels
   * take) read dy in place, each row's load past q and the rows past the plane cleared: amid NaN around x and dy (a
   * guard wider than a vector, so the last plane's loads reach into it, and one narrower, so that plane is copied
   * instead) and in every scratch buffer, dw equals the naive loops' on rows narrower than a vector, one vector, and
   * between, with each padding from none to the filter's reach less one, on one thread and on three.
   */
  @Test
  void sweptWeightGradientClearsWhatDyReadsPastItsRows() {
    int[] swept = new int[1];
    OnThreads.each(t -> {
      for (int[] d : new int[][] {{2, 3, 9, 5}, {1, 2, 12, 16}, {2, 3, 9, 20}, {1, 2, 28, 28}, {2, 2, 7, 33},
          {1, 1, 1, 1}, {1, 2, 17, 35}}) {
        for (int r : new int[] {3, 5}) {
          for (int stride = 1; stride <= 2; stride++) {
            for (int pad = 0; pad < r; pad++) {
              if (Math.min(d[2], d[3]) + 2 * pad < r) {
                continue; // no output
              }
              ConvGeom g = ConvGeom.of(d[0], d[1], d[2], d[3], d[1], r, r, stride, pad, 1, d[1]);
              boolean other = DepthwiseMaskedDots.applies(g) || DepthwiseSpreadDots.applies(g);
              swept[0] += Simd.AVAILABLE && !other && DepthwiseSweep.applies(r, r, stride) ? 1 : 0;
              checkWeightsAmidNaN(g, 3);
              checkWeightsAmidNaN(g, 29);
            }
          }
        }
      }
    }, 1, 3);
    assertTrue(!Simd.AVAILABLE || swept[0] > 100, "swept geometries: " + swept[0]);
  }

  /**
   * The masked 3x3 weight gradient reads dy in place (rows a vector wide, planes within L1) and x through a strip
   * whose margins it zeroes, or, on planes past L1, x and dy in place between the first two rows and the last two
   * or three: with NaN in every scratch buffer beforehand and around x and dy, dw equals the naive loops' on planes
   * from 1x1 to past L1, rows narrower than a vector, whole vectors and not (the last block overlapping, the interior
   * blocks reaching the row's last column), rows whose interior blocks and seam cover them and rows they do not (w =
   * 129), odd heights (three strip rows at the end) and no in-place rows past the first pair, on one thread and on
   * three.
   */
  @Test
  void maskedWeightGradientReadsOnlyThePlanesAndItsOwnZeros() {
    int guard = 37;
    int[] inPlace = new int[1];
    OnThreads.each(t -> {
      for (int[] d : new int[][] {{2, 3, 4, 4}, {1, 2, 8, 8}, {2, 2, 14, 14}, {3, 1, 7, 7}, {2, 2, 1, 1},
          {2, 3, 16, 16}, {1, 2, 5, 32}, {1, 4, 3, 48}, {2, 2, 9, 23}, {1, 5, 2, 3}, {1, 2, 40, 96},
          {1, 1, 72, 128}, {1, 2, 40, 160}, {1, 3, 50, 143}, {1, 2, 60, 129}, {1, 2, 61, 112}, {1, 2, 6, 1100},
          {2, 2, 7, 1030}, {1, 1, 130, 256}, {1, 1, 6, 1090}}) {
        ConvGeom g = ConvGeom.of(d[0], d[1], d[2], d[3], d[1], 3, 3, 1, 1, 1, d[1]);
        assertEquals(Simd.AVAILABLE, DepthwiseMaskedDots.applies(g), g.toString());
        inPlace[0] += Simd.AVAILABLE && DepthwiseMaskedDots.readsInPlace(g) ? 1 : 0;
        checkWeightsAmidNaN(g, guard);
      }
    }, 1, 3);
    // Planes past L1 (130x256 is 266 KB of x and dy) are read in place between their first and last rows.
    assertTrue(!Simd.AVAILABLE || inPlace[0] > 0, "no geometry took the in-place rows");
  }

  /**
   * The stride-2 3x3 passes over dy spread onto x's columns: the weight gradient reads x in place for the rows
   * inside the plane and through a strip for the first and last, backward data writes dx a row pair at a time.
   * Amid NaN (around x and dy, in every scratch buffer beforehand; around dx, which must stay untouched), dw and dx
   * equal the naive loops' on planes one vector wide and wider, odd and even sizes, padding below and right of 0
   * and 1, planes of two to seventy rows (several bands), on one thread and on three.
   */
  @Test
  void spreadPassesMatchTheNaiveLoopsAndReadOnlyThePlanes() {
    OnThreads.each(t -> {
      for (int[] d : new int[][] {{2, 3, 16, 16}, {1, 2, 17, 17}, {2, 2, 7, 23}, {1, 2, 3, 32}, {2, 1, 2, 33},
          {1, 2, 3, 16}, {1, 3, 4, 47}, {1, 2, 5, 18}, {2, 2, 6, 112}, {1, 1, 9, 64}, {2, 2, 5, 48}, {1, 2, 8, 49},
          {1, 2, 17, 50}, {1, 2, 70, 112}, {1, 2, 67, 49}}) {
        for (int padEnd = 0; padEnd <= 1; padEnd++) {
          ConvGeom g = new ConvGeom(d[0], d[1], d[2], d[3], d[1], 3, 3, 2, 2, 1, 1, padEnd, padEnd, 1, 1, d[1]);
          assertEquals(Simd.AVAILABLE && d[3] % 2 == 0, DepthwiseSpreadDots.applies(g), g.toString());
          assertEquals(Simd.AVAILABLE && d[3] >= 3 * Simd.LANES, DepthwiseSpreadData.applies(g), g.toString());
          checkWeightsAmidNaN(g, 29);
          checkAgainstNaive(ConvAlgorithm.DEPTHWISE_PLANES, g, t);
        }
      }
    }, 1, 3);
  }

  /**
   * A dy row spread onto even columns (half vectors widened to 64-bit lanes, then a float at a time): every count
   * from none to past three vectors, read from and written to odd places, with negative, signed-zero and non-finite
   * values (a widening that keeps the upper halves' sign bits puts NaN bits in the odd column after a negative
   * value). The even columns hold the row's bits, the odd ones between stay zero, nothing outside the row's 2 count
   * columns is written: with the row at the end of src (the last half vectors then go float by float) and with
   * values past it (a vector part that ran past count would write them).
   */
  @Test
  void spreadRowPutsTheRowOnEvenColumnsWithZerosBetween() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int n = 0; n < 2 * (3 * Simd.LANES + 4); n++) {
      int count = n / 2;
      float[] src = Rand.floats(rnd, count + 5 + (n % 2) * 2 * Simd.LANES);
      float[] specials = {-0f, Float.NEGATIVE_INFINITY, Float.NaN, -3.5f, Float.POSITIVE_INFINITY};
      for (int k = 0; k < specials.length && k < count; k++) {
        src[3 + (k * 7) % count] = specials[k];
      }
      int to = 9;
      float[] dst = new float[to + 2 * count + 21];
      java.util.Arrays.fill(dst, 7f);
      for (int j = 0; j < count; j++) {
        dst[to + 2 * j + 1] = 0f; // the callers' buffers hold zeros between the values
      }
      DepthwiseSpreadDots.spreadRow(src, 3, count, dst, to);
      for (int i = 0; i < dst.length; i++) {
        int c = i - to;
        int expected = c < 0 || c >= 2 * count ? Float.floatToRawIntBits(7f)
            : c % 2 == 0 ? Float.floatToRawIntBits(src[3 + c / 2]) : 0;
        assertEquals(expected, Float.floatToRawIntBits(dst[i]), "count " + count + ", column " + c);
      }
    }
  }

  /**
   * {@link ConvAlgorithm#DEPTHWISE_PLANES}' weight gradient on x and dy amid NaN, every scratch buffer NaN
   * beforehand, against the naive loops.
   */
  private static void checkWeightsAmidNaN(ConvGeom g, int guard) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = new float[g.inputSize() + 2 * guard];
    float[] dy = new float[g.outputSize() + 2 * guard];
    java.util.Arrays.fill(x, Float.NaN);
    java.util.Arrays.fill(dy, Float.NaN);
    System.arraycopy(Rand.floats(rnd, g.inputSize()), 0, x, guard, g.inputSize());
    System.arraycopy(Rand.floats(rnd, g.outputSize()), 0, dy, guard, g.outputSize());
    poisonScratch();
    float[] dw = Rand.floats(rnd, g.weightSize()); // accumulated onto
    float[] naive = dw.clone();
    Conv2dKernels.backwardWeights(x, guard, dy, guard, dw, 0, g, ConvAlgorithm.DEPTHWISE_PLANES);
    Conv2dNaive.backwardWeights(java.util.Arrays.copyOfRange(x, guard, guard + g.inputSize()), 0,
        java.util.Arrays.copyOfRange(dy, guard, guard + g.outputSize()), 0, naive, 0, g);
    Rand.assertClose(naive, dw, 1e-5, "backwardWeights on " + Parallel.threads() + " threads " + g);
  }

  /**
   * The lanes kernel puts a block of channels in a vector, a full block through gathers and scatters and the last,
   * partial one float by float: channel counts below, at and past a multiple of the lanes, with bias and
   * activation, strides, dilation and padding past the filter, all passes against the naive loops, outputs placed
   * amid NaN guards that must stay untouched, on one thread and on three. The shifts likewise, on whole vectors of
   * planes.
   */
  @Test
  void lanesAndShiftsMatchTheNaiveLoopsAndWriteNothingAround() {
    int l = Simd.LANES;
    if (!Simd.AVAILABLE) {
      // The scalar path's run: the lanes are Vector API only, and say so.
      assertTrue(!ConvAlgorithm.DEPTHWISE_LANES.supports(ConvGeom.of(1, l, 4, 4, l, 3, 3, 1, 1, 1, l),
          ConvAlgorithm.Pass.FORWARD));
      return;
    }
    // Any plane a network uses, but not one whose frame would take more than 16 MB of scratch per thread.
    assertTrue(ConvAlgorithm.DEPTHWISE_LANES.supports(ConvGeom.of(1, l, 224, 224, l, 3, 3, 1, 1, 1, l),
        ConvAlgorithm.Pass.FORWARD));
    assertTrue(!ConvAlgorithm.DEPTHWISE_LANES.supports(ConvGeom.of(1, l, 1024, 1024, l, 3, 3, 1, 1, 1, l),
        ConvAlgorithm.Pass.FORWARD));
    OnThreads.each(t -> {
      for (ConvGeom g : new ConvGeom[] {ConvGeom.of(2, l, 4, 4, l, 3, 3, 1, 1, 1, l),
          ConvGeom.of(3, l + 3, 2, 2, l + 3, 3, 3, 1, 1, 1, l + 3),
          ConvGeom.same(2, 2 * l + 5, 7, 5, 2 * l + 5, 5, 5, 2, 1, 2 * l + 5),
          new ConvGeom(1, 2 * l, 6, 7, 2 * l, 3, 3, 1, 2, 2, 2, 3, 1, 2, 2, 2 * l),
          ConvGeom.of(2, l - 1, 8, 8, l - 1, 3, 3, 2, 1, 1, l - 1)}) {
        checkAgainstNaive(ConvAlgorithm.DEPTHWISE_LANES, g, t);
      }
      // The shifts, on the planes they take: a vector's worth of planes (4x4 with 16 lanes, 2x2 with 8), 2x2 and
      // 1x1 planes; runs of vectors split between threads, one run starting inside an image (30 x 12 vectors of
      // 2x2 planes, past one run of 256); the weight gradient of four classes by channel vector (the other 2x2
      // cases) and in memory order (150 images of 64 channel vectors: an image 4 KB with 16 lanes), and of more
      // classes with the images in several runs (300 images of 64 one-plane vectors under 3x3: 9 classes on 4x4, 6
      // on 2x4; 1x1 planes, the unmoved class alone, 150 images);
      // a dilated filter, one with asymmetric padding whose taps never sit on the output's own position;
      // non-square planes (1 x l/4 as a depthwise Conv1d, 2x4 padded on one side). Taps a whole plane apart share
      // a rotation: 3x3 and 5x5 on 2x2 planes, 5x5 (rows -2 and +2) and the dilated 3x3 on 4x4, the 5x5 on
      // 1 x l/4, whose rows all fall in the padding but one.
      int side = l >= 16 ? 4 : 2;
      int quarter = l / 4;
      for (ConvGeom g : new ConvGeom[] {ConvGeom.of(2, l, side, side, l, 3, 3, 1, 1, 1, l),
          ConvGeom.of(30, 3 * l, 2, 2, 3 * l, 3, 3, 1, 1, 1, 3 * l), ConvGeom.of(90, 2 * l, 2, 2, 2 * l, 3, 3, 1, 1, 1,
          2 * l), ConvGeom.of(150, 64 * quarter, 2, 2, 64 * quarter, 3, 3, 1, 1, 1, 64 * quarter),
          ConvGeom.of(3, l, 1, 1, l, 3, 3, 1, 1, 1, l), ConvGeom.of(2, l, 2, 2, l, 5, 5, 1, 2, 1, l),
          ConvGeom.of(2, l, side, side, l, 3, 3, 1, 2, 2, l),
          new ConvGeom(2, l, side, side, l, 3, 3, 1, 1, 1, 1, 3, 3, 2, 2, l),
          new ConvGeom(2, 4 * l, 1, quarter, 4 * l, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1, 4 * l),
          new ConvGeom(2, 2 * l, 2, 4, 2 * l, 2, 3, 1, 1, 1, 1, 0, 1, 1, 1, 2 * l),
          ConvGeom.of(3, 2 * l, side, side, 2 * l, 5, 5, 1, 2, 1, 2 * l),
          ConvGeom.of(2, 4 * l, 1, quarter, 4 * l, 5, 5, 1, 2, 1, 4 * l),
          ConvGeom.of(300, 64, side, l / side, 64, 3, 3, 1, 1, 1, 64),
          ConvGeom.of(150, 64 * l, 1, 1, 64 * l, 3, 3, 1, 1, 1, 64 * l)}) {
        assertTrue(ConvAlgorithm.DEPTHWISE_SHIFTS.supports(g, ConvAlgorithm.Pass.FORWARD), g.toString());
        checkAgainstNaive(ConvAlgorithm.DEPTHWISE_SHIFTS, g, t);
      }
    }, 1, 3);
    // The shifts at offsets into longer arrays: four classes in one sweep (2x2 planes), and one plane a vector.
    for (ConvGeom g : List.of(ConvGeom.of(3, 2 * l, 2, 2, 2 * l, 3, 3, 1, 1, 1, 2 * l), ConvGeom.of(3, 4, l / 4, 4, 4,
        3, 3, 1, 1, 1, 4))) {
      checkAtOffsets(ConvAlgorithm.DEPTHWISE_SHIFTS, g);
    }
  }

  /**
   * The matrices, on every pass they take (forward where the output plane is a vector or channels fill one in whole
   * groups, backward data likewise with the input plane, the weight gradient where either is a vector): 4x4 planes
   * (2x8 and 1x16 too, or their 8-lane halves) under 3x3 and 5x5 filters, stride 2 from a vector's plane (rows form)
   * and onto one (columns form, a 7x7 and a 9x9 input), a dilated filter, asymmetric padding, a 1x1 filter at stride
   * 2 (from 8x8, and from 6x6 with padding, whose first column read is not the plane's first); a 1x1 filter at stride
   * 2 whose every tap falls into the padding, output and input planes one vector (nothing to sweep: the bias, zeros,
   * no gradient); batches of 1, 11 and 64 (a last block of fewer than eight images), odd channel counts split between
   * threads; then random geometries. Each fixed geometry takes the passes its planes allow; the kernels also at
   * offsets into their arrays, without and with SiLU.
   */
  @Test
  void matricesMatchTheNaiveLoopsOnEveryPassTheyTake() {
    if (!Simd.AVAILABLE) {
      assertTrue(!ConvAlgorithm.DEPTHWISE_MATRIX.supports(ConvGeom.of(1, 4, 4, 4, 4, 5, 5, 1, 2, 1, 4),
          ConvAlgorithm.Pass.FORWARD));
      return;
    }
    int l = Simd.LANES;
    int side = l / 4;
    List<ConvGeom> gs = new ArrayList<>(List.of(ConvGeom.of(2, 5, 4, side, 5, 3, 3, 1, 1, 1, 5),
        ConvGeom.of(11, 7, 4, side, 7, 5, 5, 1, 2, 1, 7), ConvGeom.of(64, 3, 4, side, 3, 5, 5, 1, 2, 1, 3),
        ConvGeom.of(1, 6, 2, 2 * side, 6, 3, 3, 1, 1, 1, 6), ConvGeom.of(3, 5, 1, l, 5, 5, 5, 1, 2, 1, 5),
        ConvGeom.of(13, 5, 4, side, 5, 5, 5, 2, 2, 1, 5), ConvGeom.of(9, 4, 4, side, 4, 3, 3, 2, 1, 1, 4),
        ConvGeom.same(10, 3, 4, side, 3, 3, 3, 2, 1, 3), ConvGeom.of(9, 5, 8, 2 * side, 5, 3, 3, 2, 1, 1, 5),
        ConvGeom.of(3, 4, 7, 2 * side - 1, 4, 3, 3, 2, 1, 1, 4), ConvGeom.of(2, 3, 9, 2 * side + 1, 3, 3, 3, 2, 0, 1, 3),
        ConvGeom.of(12, 5, 4, side, 5, 3, 3, 1, 2, 2, 5), new ConvGeom(9, 3, 4, side, 3, 3, 3, 1, 1, 0, 2, 2, 0, 1, 1,
        3), ConvGeom.of(10, 4, 8, 2 * side, 4, 1, 1, 2, 0, 1, 4), ConvGeom.of(5, 3, 6, 2 * side - 2, 3, 1, 1, 2, 1, 1,
        3), ConvGeom.of(2, 3, 1, 4 * side - 2, 3, 1, 1, 2, 1, 1, 3), ConvGeom.of(2, 3, 1, l, 3, 1, 1, 2, 1, 1, 3)));
    SplittableRandom rnd = new SplittableRandom(161);
    while (gs.size() < 40) {
      int h = 1 << rnd.nextInt(Integer.numberOfTrailingZeros(l) + 1);
      int w = l / h;
      int r = 1 + rnd.nextInt(5);
      int s = 1 + rnd.nextInt(5);
      int stride = 1 + rnd.nextInt(2);
      int[] pad = {rnd.nextInt(r + 1), rnd.nextInt(s + 1), rnd.nextInt(r + 1), rnd.nextInt(s + 1)};
      if (stride == 2 && rnd.nextBoolean()) {
        h *= 2; // onto a vector's plane: the input twice the output each way
        w *= 2;
      }
      if (r > h + pad[0] + pad[2] || s > w + pad[1] + pad[3]) {
        continue;
      }
      int c = 1 + rnd.nextInt(9);
      ConvGeom g = new ConvGeom(1 + rnd.nextInt(20), c, h, w, c, r, s, stride, stride, pad[0], pad[1], pad[2],
          pad[3], 1, 1, c);
      if (ConvAlgorithm.DEPTHWISE_MATRIX.supports(g, ConvAlgorithm.Pass.BACKWARD_WEIGHTS)) {
        gs.add(g);
      }
    }
    for (ConvGeom g : gs.subList(0, 17)) {
      // A pass's plane a vector, or a fraction of one that the channels fill in whole groups.
      assertEquals(fillsInGroups(g.p() * g.q(), g.c()), ConvAlgorithm.DEPTHWISE_MATRIX.supports(g,
          ConvAlgorithm.Pass.FORWARD), g.toString());
      assertEquals(fillsInGroups(g.h() * g.w(), g.c()), ConvAlgorithm.DEPTHWISE_MATRIX.supports(g,
          ConvAlgorithm.Pass.BACKWARD_DATA), g.toString());
    }
    OnThreads.each(t -> {
      for (ConvGeom g : gs) {
        assertTrue(ConvAlgorithm.DEPTHWISE_MATRIX.supports(g, ConvAlgorithm.Pass.BACKWARD_WEIGHTS), g.toString());
        checkAgainstNaive(ConvAlgorithm.DEPTHWISE_MATRIX, g, t);
      }
    }, 1, 3);
    for (ConvGeom g : List.of(ConvGeom.of(9, 5, 4, side, 5, 5, 5, 1, 2, 1, 5), ConvGeom.of(3, 4, 4, side, 4, 3, 3,
        2, 1, 1, 4), ConvGeom.of(3, 4, 8, 2 * side, 4, 3, 3, 2, 1, 1, 4))) {
      checkAtOffsets(ConvAlgorithm.DEPTHWISE_MATRIX, g);
    }
  }

  private static boolean fillsInGroups(int plane, int channels) {
    return Simd.LANES % plane == 0 && channels % (Simd.LANES / plane) == 0;
  }

  /**
   * The matrices over groups of channels whose planes fill a vector side by side: forward from 4x4 to 2x2 at
   * stride 2 (5x5 over two groups, 3x3 over three, 11 images: a last block of three), 2x2 planes at stride 1
   * forward and backward data, 2x2 onto 1x1 at stride 2 (two groups of a vector's worth of channels), then random
   * geometries (output planes of 1 to 8 floats, filters up to 5x5, stride 1 or 2, asymmetric padding); 1 and 3
   * threads, then at offsets with and without SiLU. Channels that do not split into whole groups are not taken; the
   * heuristic takes the groups forward (where the shifts do not apply) from batch 32 with 16 lanes, the lanes
   * below.
   */
  @Test
  void matrixGroupsMatchTheNaiveLoops() {
    if (!Simd.AVAILABLE) {
      return;
    }
    int l = Simd.LANES;
    List<ConvGeom> gs = new ArrayList<>(List.of(ConvGeom.of(11, l / 2, 4, 4, l / 2, 5, 5, 2, 2, 1, l / 2),
        ConvGeom.of(11, 3 * l / 4, 4, 4, 3 * l / 4, 3, 3, 2, 1, 1, 3 * l / 4),
        ConvGeom.of(5, l / 2, 2, 2, l / 2, 3, 3, 1, 1, 1, l / 2), ConvGeom.of(3, 2 * l, 2, 2, 2 * l, 3, 3, 2, 1, 1,
            2 * l)));
    // Random geometries whose output planes are a fraction of a vector: planes of 1, 2, 4 or 8 floats, filters up
    // to 5x5, stride 1 or 2, asymmetric padding, one to three groups.
    SplittableRandom rnd = new SplittableRandom(173);
    while (gs.size() < 16) {
      int r = 1 + rnd.nextInt(5);
      int s = 1 + rnd.nextInt(5);
      int stride = 1 + rnd.nextInt(2);
      int[] pad = {rnd.nextInt(r), rnd.nextInt(s), rnd.nextInt(r), rnd.nextInt(s)};
      int h = Math.max(1, r - pad[0] - pad[2]) + rnd.nextInt(6);
      int w = Math.max(1, s - pad[1] - pad[3]) + rnd.nextInt(6);
      int plane = ((h + pad[0] + pad[2] - r) / stride + 1) * ((w + pad[1] + pad[3] - s) / stride + 1);
      if (plane >= l || l % plane != 0) {
        continue;
      }
      int c = l / plane * (1 + rnd.nextInt(3));
      gs.add(new ConvGeom(1 + rnd.nextInt(12), c, h, w, c, r, s, stride, stride, pad[0], pad[1], pad[2], pad[3], 1,
          1, c));
    }
    OnThreads.each(t -> {
      for (ConvGeom g : gs) {
        assertTrue(ConvAlgorithm.DEPTHWISE_MATRIX.supports(g, ConvAlgorithm.Pass.FORWARD), g.toString());
        checkAgainstNaive(ConvAlgorithm.DEPTHWISE_MATRIX, g, t);
      }
    }, 1, 3);
    for (ConvGeom g : gs) {
      checkAtOffsets(ConvAlgorithm.DEPTHWISE_MATRIX, g);
    }
    assertTrue(!ConvAlgorithm.DEPTHWISE_MATRIX.supports(ConvGeom.of(2, l / 4 + 1, 4, 4, l / 4 + 1, 5, 5, 2, 2, 1,
        l / 4 + 1), ConvAlgorithm.Pass.FORWARD), "channels not in whole groups");
    ConvGeom strided = ConvGeom.of(32, 96, 4, 4, 96, 5, 5, 2, 2, 1, 96);
    assertEquals(l == 16 ? ConvAlgorithm.DEPTHWISE_MATRIX : ConvAlgorithm.DEPTHWISE_LANES,
        ConvAlgorithm.heuristic(strided, ConvAlgorithm.Pass.FORWARD), "4x4 -> 2x2 at batch 32: the groups");
    assertEquals(ConvAlgorithm.DEPTHWISE_LANES, ConvAlgorithm.heuristic(ConvGeom.of(16, 96, 4, 4, 96, 5, 5, 2, 2, 1,
        96), ConvAlgorithm.Pass.FORWARD), "at batch 16: the lanes");
  }

  /**
   * Every pass a supports at offsets into arrays longer than the operands (x at 3, w at 2, b at 1, y and dx at 5,
   * dy at 4, dw at 6), forward without an activation and with SiLU, against the naive loops.
   */
  private static void checkAtOffsets(ConvAlgorithm a, ConvGeom g) {
    String at = a + " at offsets " + g;
    SplittableRandom rnd = new SplittableRandom(g.hashCode() + 1);
    float[] x = Rand.floats(rnd, g.inputSize() + 7);
    float[] w = Rand.floats(rnd, g.weightSize() + 5);
    float[] b = Rand.floats(rnd, g.k() + 3);
    float[] dy = Rand.floats(rnd, g.outputSize() + 9);
    if (a.supports(g, ConvAlgorithm.Pass.FORWARD)) {
      for (Activations.Fn act : new Activations.Fn[] {Activations.Fn.NONE, Activations.Fn.SILU}) {
        float[] y = new float[g.outputSize() + 11];
        Conv2dKernels.forward(x, 3, w, 2, b, 1, y, 5, g, a, act);
        float[] naive = new float[g.outputSize()];
        Conv2dNaive.forward(x, 3, w, 2, b, 1, naive, 0, g);
        act.apply(naive, 0, naive.length);
        Rand.assertClose(naive, java.util.Arrays.copyOfRange(y, 5, 5 + naive.length), 1e-5, act + " forward " + at);
      }
    }
    if (a.supports(g, ConvAlgorithm.Pass.BACKWARD_DATA)) {
      float[] dx = new float[g.inputSize() + 11];
      Conv2dKernels.backwardInput(dy, 4, w, 2, dx, 5, g, a);
      float[] naive = new float[g.inputSize()];
      Conv2dNaive.backwardInput(dy, 4, w, 2, naive, 0, g);
      Rand.assertClose(naive, java.util.Arrays.copyOfRange(dx, 5, 5 + naive.length), 1e-5, "backwardInput " + at);
    }
    if (!a.supports(g, ConvAlgorithm.Pass.BACKWARD_WEIGHTS)) {
      return;
    }
    float[] dw = Rand.floats(rnd, g.weightSize() + 9);
    float[] naive = dw.clone();
    Conv2dKernels.backwardWeights(x, 3, dy, 4, dw, 6, g, a);
    Conv2dNaive.backwardWeights(x, 3, dy, 4, naive, 6, g);
    Rand.assertClose(naive, dw, 1e-5, "backwardWeights " + at);
  }

  /**
   * The shifts build each channel vector's weights by one gather per class, the lanes that no tap of the class
   * reaches then cleared: an infinite weight of one channel must leave every other channel's forward and backward
   * data equal to the naive loops (a product by zero there instead of the clearing would make them NaN). The
   * geometries have lanes no tap reaches (3x3 on 4x4 planes) and filler classes (5x5 on one-row planes).
   */
  @Test
  void shiftsKeepANonFiniteWeightInItsOwnChannel() {
    if (!Simd.AVAILABLE) {
      return;
    }
    int l = Simd.LANES;
    int side = l >= 16 ? 4 : 2;
    for (ConvGeom g : new ConvGeom[] {ConvGeom.of(2, 2 * l, side, side, 2 * l, 3, 3, 1, 1, 1, 2 * l),
        ConvGeom.of(2, 4 * l, 1, l / 4, 4 * l, 5, 5, 1, 2, 1, 4 * l)}) {
      assertTrue(ConvAlgorithm.DEPTHWISE_SHIFTS.supports(g, ConvAlgorithm.Pass.FORWARD), g.toString());
      SplittableRandom rnd = new SplittableRandom(7);
      float[] x = Rand.floats(rnd, g.inputSize());
      float[] dy = Rand.floats(rnd, g.outputSize());
      float[] w = Rand.floats(rnd, g.weightSize());
      int poisoned = 0;
      int filter = g.r() * g.s();
      java.util.Arrays.fill(w, poisoned * filter, (poisoned + 1) * filter, Float.POSITIVE_INFINITY);
      float[] y = new float[g.outputSize()];
      float[] yNaive = new float[g.outputSize()];
      Conv2dKernels.forward(x, 0, w, 0, null, 0, y, 0, g, ConvAlgorithm.DEPTHWISE_SHIFTS, Activations.Fn.NONE);
      Conv2dNaive.forward(x, 0, w, 0, null, 0, yNaive, 0, g);
      float[] dx = new float[g.inputSize()];
      float[] dxNaive = new float[g.inputSize()];
      Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, ConvAlgorithm.DEPTHWISE_SHIFTS);
      Conv2dNaive.backwardInput(dy, 0, w, 0, dxNaive, 0, g);
      int plane = g.h() * g.w();
      for (int i = 0; i < g.n(); i++) {
        for (int c = 0; c < g.c(); c++) {
          if (c == poisoned) {
            continue;
          }
          int at = (i * g.c() + c) * plane;
          Rand.assertClose(java.util.Arrays.copyOfRange(yNaive, at, at + plane),
              java.util.Arrays.copyOfRange(y, at, at + plane), 1e-5, "forward, channel " + c + " " + g);
          Rand.assertClose(java.util.Arrays.copyOfRange(dxNaive, at, at + plane),
              java.util.Arrays.copyOfRange(dx, at, at + plane), 1e-5, "backwardInput, channel " + c + " " + g);
        }
      }
    }
  }

  /**
   * Forward (with bias and ReLU6), backward data and weights of g with algorithm a on t threads against the naive
   * loops, the outputs placed between guards that must stay untouched; a pass a does not support is skipped.
   */
  private static void checkAgainstNaive(ConvAlgorithm a, ConvGeom g, int t) {
    String at = a + " " + t + " threads " + g;
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] dy = Rand.floats(rnd, g.outputSize());
    int guard = GUARD;
    if (a.supports(g, ConvAlgorithm.Pass.FORWARD)) {
      float[] y = guarded(g.outputSize());
      Conv2dKernels.forward(x, 0, w, 0, b, 0, y, guard, g, a, Activations.Fn.RELU6);
      float[] naive = new float[g.outputSize()];
      Conv2dNaive.forward(x, 0, w, 0, b, 0, naive, 0, g);
      Activations.relu6(naive, 0, naive, 0, naive.length);
      Rand.assertClose(naive, java.util.Arrays.copyOfRange(y, guard, guard + naive.length), 1e-5, "forward " + at);
      assertGuards(y, guard, naive.length, "forward " + at);
    }
    if (a.supports(g, ConvAlgorithm.Pass.BACKWARD_DATA)) {
      poisonScratch();
      float[] dx = guarded(g.inputSize());
      Conv2dKernels.backwardInput(dy, 0, w, 0, dx, guard, g, a);
      float[] dxNaive = new float[g.inputSize()];
      Conv2dNaive.backwardInput(dy, 0, w, 0, dxNaive, 0, g);
      Rand.assertClose(dxNaive, java.util.Arrays.copyOfRange(dx, guard, guard + dxNaive.length), 1e-5,
          "backwardInput " + at);
      assertGuards(dx, guard, dxNaive.length, "backwardInput " + at);
    }
    if (!a.supports(g, ConvAlgorithm.Pass.BACKWARD_WEIGHTS)) {
      return;
    }
    float[] dw = Rand.floats(rnd, g.weightSize()); // accumulated onto
    float[] dwNaive = dw.clone();
    Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g, a);
    Conv2dNaive.backwardWeights(x, 0, dy, 0, dwNaive, 0, g);
    Rand.assertClose(dwNaive, dw, 1e-5, "backwardWeights " + at);
  }

  private static final int GUARD = 40;

  /**
   * NaN in the scratch buffers the depthwise kernels use, on the calling thread and on the pool threads that take a
   * chunk (each chunk waits a moment, so that the pool's threads take one each): a kernel that reads scratch it did
   * not write in this call then fails its comparison.
   */
  private static void poisonScratch() {
    Parallel.forEach(Parallel.threads(), t -> {
      for (int slot : new int[] {Scratch.PADDED, Scratch.COLUMNS, Scratch.PARTIAL}) {
        java.util.Arrays.fill(Scratch.floats(slot, 1 << 14), Float.NaN);
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** n floats between {@link #GUARD} NaNs on each side, which a kernel writing at offset GUARD must not touch. */
  private static float[] guarded(int n) {
    float[] a = new float[n + 2 * GUARD];
    java.util.Arrays.fill(a, Float.NaN);
    return a;
  }

  private static void assertGuards(float[] a, int guard, int n, String what) {
    for (int i = 0; i < a.length; i++) {
      if (i < guard || i >= guard + n) {
        assertTrue(Float.isNaN(a[i]), what + ": wrote index " + i + " outside [" + guard + ", " + (guard + n) + ")");
      }
    }
  }
}
