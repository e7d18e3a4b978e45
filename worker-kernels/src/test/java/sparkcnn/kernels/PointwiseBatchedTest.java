package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * How the batched pointwise convolution splits a batch into runs of images: every image once, in order, each run
 * within the budget (or one image where an image alone is over it), the fewest runs that allows, and their lengths
 * one apart at most. (The products themselves are checked against the naive loops in {@link ConvTunerTest}.)
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
  }
}
