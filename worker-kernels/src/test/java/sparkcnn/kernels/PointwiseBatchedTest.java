package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * How the batched pointwise convolution splits a batch into runs of images: every image once, in order, each run
 * within the budget (or one image where an image alone is over it), the fewest runs that allows, and their lengths
 * one apart at most. The products are checked against the naive loops here for planes gathered straight into
 * GEMM's packed panels (whole panels a plane) and through a plain copy, and in {@link ConvTunerTest}.
 */
class PointwiseBatchedTest {
  @Test
  void runsCoverTheBatchWithinTheBudgetAndEvenly() {
    long budget = 1000;
    for (int n = 1; n <= 70; n++) {
      for (long perImage : new long[] {1, 7, 36, 100, 333, 999, 1000, 1001, 5000}) {
        int runs = PointwiseBatched.runs(n, perImage, budget);
        long fit = Math.max(1, budget / perImage);
        assertEquals((n + fit - 1) / fit, runs, "fewest runs, n " + n + " per image " + perImage);
        int shortest = Integer.MAX_VALUE;
        int longest = 0;
        assertEquals(0, PointwiseBatched.runStart(n, runs, 0));
        assertEquals(n, PointwiseBatched.runStart(n, runs, runs));
        for (int r = 0; r < runs; r++) {
          int images = PointwiseBatched.runStart(n, runs, r + 1) - PointwiseBatched.runStart(n, runs, r);
          assertTrue(images >= 1 && images <= fit, "run " + r + " of " + runs + ": " + images + " images");
          shortest = Math.min(shortest, images);
          longest = Math.max(longest, images);
        }
        assertTrue(longest - shortest <= 1, "n " + n + " per image " + perImage + ": " + shortest + ".." + longest);
      }
    }
    // MobileNet-v2's 144-channel 16x16 planes at batch 64 on a 1 MB L2: ten runs of 6 or 7, not nine of 7 and a 1.
    int runs = PointwiseBatched.runs(64, 144 * 256, 1 << 18);
    assertEquals(10, runs);
    assertEquals(6, PointwiseBatched.runStart(64, runs, 1));
    // Shared between threads: rounded up to a multiple of the threads, never more runs than images.
    assertEquals(4, PointwiseBatched.sharedRuns(8, 3, 2));
    assertEquals(2, PointwiseBatched.sharedRuns(64, 1, 2));
    assertEquals(3, PointwiseBatched.sharedRuns(3, 3, 2));
    assertEquals(12, PointwiseBatched.sharedRuns(64, 10, 3));
  }

  /**
   * Forward (with bias) and backward data against the naive loops: planes of one and several packed panels (8x8,
   * 16x16 with NR = 32), and of a piece of one (7x7, 2x2; 4x4 and 5x5, copied by whole and overlapping vectors),
   * grouped, over several runs of images (a budget of a quarter of L2: 960 channels of 7x7 at batch 12 take at
   * least two), on garbage in the outputs; planes of 16x16 and more go one image a run, written by GEMM straight
   * into the output, gathered band by band (16x16, 32x32) or read in place (18x18 grouped), and planes wider than
   * a band of 144 output rows or of 144 packed input rows (whatever this machine's L2) in two bands, forward and
   * backward data both ways (24 -> 144, 144 -> 24), gathered and read in place (the second band not a whole
   * panel); runs of 8x8 planes large enough (512 channels) to be gathered from a cache-line boundary ({@link
   * CacheLines}; the one-image runs of 144 channels of 32x32 are too); on one to three threads, and for a single
   * image.
   */
  @Test
  void productsMatchTheNaiveLoopsWhetherPlanesArePackedWholeOrCopied() {
    int band = Gemm.halfL2Columns(144);
    int wide = band / 2 + Gemm.NR / 2;
    assertTrue(2 * wide > band && 2 * wide % Gemm.NR == 0, "two bands, whole panels");
    ConvGeom[] geoms = {ConvGeom.of(3, 24, 8, 8, 40, 1, 1, 1, 0, 1, 1), ConvGeom.of(5, 16, 16, 16, 36, 1, 1, 1, 0, 1, 2),
        ConvGeom.of(3, 144, 32, 32, 24, 1, 1, 1, 0, 1, 1), ConvGeom.of(4, 30, 7, 7, 20, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(6, 8, 2, 2, 12, 1, 1, 1, 0, 1, 4), ConvGeom.of(7, 20, 4, 4, 28, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(3, 12, 5, 5, 18, 1, 1, 1, 0, 1, 2), ConvGeom.of(1, 24, 16, 16, 40, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(1, 20, 12, 12, 28, 1, 1, 1, 0, 1, 1), ConvGeom.of(1, 64, 32, 32, 64, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(12, 960, 7, 7, 16, 1, 1, 1, 0, 1, 1), ConvGeom.of(3, 16, 18, 18, 36, 1, 1, 1, 0, 1, 2),
        ConvGeom.of(2, 24, 2, wide, 144, 1, 1, 1, 0, 1, 1), ConvGeom.of(2, 144, 2, wide + 3, 24, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(2, 24, 2, wide + 3, 144, 1, 1, 1, 0, 1, 1), ConvGeom.of(2, 144, 2, wide, 24, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(8, 512, 8, 8, 24, 1, 1, 1, 0, 1, 1)};
    // One thread: the runs in turn. Two and three: the runs side by side (one run a thread where the images fit
    // one run); a single image in turn, GEMM sharing out each band's product (64 x 64 x 1024 in one band).
    OnThreads.each(t -> {
      for (ConvGeom g : geoms) {
        SplittableRandom rnd = new SplittableRandom(g.hashCode());
        float[] x = Rand.floats(rnd, g.inputSize());
        float[] w = Rand.floats(rnd, g.weightSize());
        float[] b = Rand.floats(rnd, g.k());
        float[] dy = Rand.floats(rnd, g.outputSize());
        float[] y = Rand.floats(rnd, g.outputSize());
        float[] yRef = new float[g.outputSize()];
        Conv2dKernels.forward(x, 0, w, 0, b, 0, y, 0, g, ConvAlgorithm.POINTWISE_BATCHED);
        Conv2dNaive.forward(x, 0, w, 0, b, 0, yRef, 0, g);
        Rand.assertClose(yRef, y, 1e-5, "forward, " + t + " threads, " + g);
        float[] dx = Rand.floats(rnd, g.inputSize());
        float[] dxRef = new float[g.inputSize()];
        Conv2dKernels.backwardInput(dy, 0, w, 0, dx, 0, g, ConvAlgorithm.POINTWISE_BATCHED);
        Conv2dNaive.backwardInput(dy, 0, w, 0, dxRef, 0, g);
        Rand.assertClose(dxRef, dx, 1e-5, "backward data, " + t + " threads, " + g);
      }
    }, 1, 2, 3);
  }

  /**
   * Inference's bias (read at an offset) and activation, applied as each block is copied out of scratch or each
   * band is written in place, equal the naive product followed by both over the whole output; without a bias, the
   * activation alone. Planes packed whole and copied, grouped, several runs of images; one image a run in two
   * bands of 144 output rows a group, packed whole and read in place (grouped).
   */
  @Test
  void biasAndActivationAppliedInTheCopyMatchThemAfterTheProduct() {
    int wide = Gemm.halfL2Columns(144) / 2 + Gemm.NR / 2;
    ConvGeom[] geoms = {ConvGeom.of(3, 144, 32, 32, 24, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(5, 16, 16, 16, 36, 1, 1, 1, 0, 1, 2), ConvGeom.of(6, 8, 2, 2, 12, 1, 1, 1, 0, 1, 4),
        ConvGeom.of(1, 20, 12, 12, 28, 1, 1, 1, 0, 1, 2), ConvGeom.of(2, 24, 2, wide, 144, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(2, 20, 2, wide + 3, 288, 1, 1, 1, 0, 1, 2)};
    for (ConvGeom g : geoms) {
      SplittableRandom rnd = new SplittableRandom(g.hashCode() + 7);
      float[] x = Rand.floats(rnd, g.inputSize());
      float[] w = Rand.floats(rnd, g.weightSize());
      float[] b = Rand.floats(rnd, g.k() + 2);
      for (Activations.Fn act : new Activations.Fn[] {Activations.Fn.RELU6, Activations.Fn.SILU}) {
        for (boolean bias : new boolean[] {true, false}) {
          float[] y = Rand.floats(rnd, g.outputSize());
          Conv2dKernels.forward(x, 0, w, 0, bias ? b : null, 2, y, 0, g, ConvAlgorithm.POINTWISE_BATCHED, act);
          float[] ref = new float[g.outputSize()];
          Conv2dNaive.forward(x, 0, w, 0, new float[g.k()], 0, ref, 0, g);
          int plane = g.p() * g.q();
          for (int j = 0; j < ref.length; j++) {
            ref[j] += bias ? b[2 + j / plane % g.k()] : 0f;
          }
          act.apply(ref, 0, ref.length);
          Rand.assertClose(ref, y, 1e-5, act + (bias ? " with bias " : " without bias ") + g);
        }
      }
    }
  }

  /**
   * The gated forward against its reference: x multiplied by each image's gates, then the batched forward. One
   * image a run (the gates scale the packed weights) on planes of whole panels (16x16) and not (17x19; 28x28 with
   * 32-column panels); runs
   * of several images (the gates scale the gathered planes) packed (8x8, 4x8) and copied (7x7, 3x3, under a
   * vector); one image with more filters than pixels, gathered too (4x4 at batch 1, 16x16 into 260); batch 1 to 9
   * on one and three threads, with and without bias and activation, gates apart per image and channel, weights
   * packed once or per call.
   */
  @Test
  void gatedForwardMatchesTheGateMultipliedIntoTheInputFirst() {
    ConvGeom[] geoms = {ConvGeom.of(3, 24, 16, 16, 40, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(1, 13, 17, 19, 21, 1, 1, 1, 0, 1, 1), ConvGeom.of(5, 9, 28, 28, 8, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(9, 40, 8, 8, 24, 1, 1, 1, 0, 1, 1), ConvGeom.of(4, 20, 4, 8, 36, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(7, 48, 7, 7, 16, 1, 1, 1, 0, 1, 1), ConvGeom.of(6, 11, 3, 3, 5, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(1, 13, 4, 4, 21, 1, 1, 1, 0, 1, 1), ConvGeom.of(2, 6, 16, 16, 260, 1, 1, 1, 0, 1, 1)};
    OnThreads.each(threads -> {
      for (ConvGeom g : geoms) {
        SplittableRandom rnd = new SplittableRandom(g.hashCode() + threads);
        float[] x = Rand.floats(rnd, g.inputSize());
        float[] w = Rand.floats(rnd, g.weightSize());
        float[] b = Rand.floats(rnd, g.k() + 1);
        float[] gates = Rand.floats(rnd, 3 + g.n() * g.c());
        int plane = g.h() * g.w();
        float[] gated = new float[x.length];
        for (int j = 0; j < x.length; j++) {
          gated[j] = x[j] * gates[3 + j / plane];
        }
        float[] packed = Conv2dKernels.packedWeights(w, 0, g.k(), g.c(), 1, null);
        for (Activations.Fn act : new Activations.Fn[] {Activations.Fn.NONE, Activations.Fn.SILU}) {
          for (boolean bias : new boolean[] {true, false}) {
            float[] ref = new float[g.outputSize()];
            Conv2dKernels.forward(gated, 0, w, 0, null, bias ? b : null, 1, ref, 0, g,
                ConvAlgorithm.POINTWISE_BATCHED, act);
            for (float[] p : new float[][] {packed, null}) {
              float[] y = Rand.floats(rnd, g.outputSize());
              Conv2dKernels.forwardGated(x, 0, gates, 3, w, 0, p, bias ? b : null, 1, y, 0, g, act);
              Rand.assertClose(ref, y, 1e-5, act + (bias ? " with bias " : " without bias ")
                  + (p == null ? "packed per call " : "packed once ") + threads + " thread(s) " + g);
            }
          }
        }
      }
    }, 1, 3);
  }

  /** The gated forward refuses what it cannot do, naming it: a 3x3 or grouped geometry, too few gates. */
  @Test
  void gatedForwardRefusesOtherGeometriesAndShortGates() {
    ConvGeom[] wrong = {ConvGeom.of(1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1), ConvGeom.of(1, 4, 8, 8, 4, 1, 1, 1, 0, 1, 2),
        ConvGeom.of(1, 4, 8, 8, 4, 1, 1, 2, 0, 1, 1)};
    for (ConvGeom g : wrong) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> Conv2dKernels.forwardGated(new float[g.inputSize()], 0, new float[g.n() * g.c()], 0,
              new float[g.weightSize()], 0, null, null, 0, new float[g.outputSize()], 0, g, Activations.Fn.NONE));
      assertTrue(e.getMessage().contains("needs a 1x1 convolution"), e.getMessage());
    }
    ConvGeom g = ConvGeom.of(2, 4, 16, 16, 4, 1, 1, 1, 0, 1, 1);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Conv2dKernels.forwardGated(new float[g.inputSize()], 0, new float[7], 0, new float[g.weightSize()], 0,
            null, null, 0, new float[g.outputSize()], 0, g, Activations.Fn.NONE));
    assertTrue(e.getMessage().contains("gates (2 x 4)"), e.getMessage());
  }

  /**
   * The weight gradient, accumulated onto dw, against the naive loops on one and three threads: dot products over
   * planes read in place (24x24) and gathered (5x5), x's channels cut into several column blocks with a shorter
   * last one (70 channels against 40 outputs), one block (16 against 8), grouped, and GEMM where the accumulator
   * would not fit L2 (160 against 128 outputs).
   */
  @Test
  void weightGradientsMatchTheNaiveLoopsInBlocksInPlaceGatheredAndThroughGemm() {
    ConvGeom[] geoms = {ConvGeom.of(2, 70, 24, 24, 40, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(5, 70, 5, 5, 40, 1, 1, 1, 0, 1, 1), ConvGeom.of(3, 16, 24, 24, 8, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(3, 24, 6, 6, 36, 1, 1, 1, 0, 1, 3), ConvGeom.of(2, 160, 9, 9, 128, 1, 1, 1, 0, 1, 1),
        ConvGeom.of(5, 20, 5, 5, 12, 1, 1, 1, 0, 1, 1)};
    OnThreads.each(t -> {
      for (ConvGeom g : geoms) {
        SplittableRandom rnd = new SplittableRandom(g.hashCode());
        float[] x = Rand.floats(rnd, g.inputSize());
        float[] dy = Rand.floats(rnd, g.outputSize());
        float[] dw = Rand.floats(rnd, g.weightSize());
        float[] dwRef = dw.clone();
        Conv2dKernels.backwardWeights(x, 0, dy, 0, dw, 0, g, ConvAlgorithm.POINTWISE_BATCHED);
        Conv2dNaive.backwardWeights(x, 0, dy, 0, dwRef, 0, g);
        Rand.assertClose(dwRef, dw, 1e-4, "backward weights " + t + " threads " + g);
      }
    }, 1, 3);
  }
}
