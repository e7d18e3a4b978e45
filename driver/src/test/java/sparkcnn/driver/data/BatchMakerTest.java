package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;

/**
 * A batch holds the samples it was asked for, wherever in its array its data start: large batches start from a
 * cache-line boundary (past index 0 under G1), small ones at 0. Pixels go to [0, 1] and are normalized per
 * channel; pre-computed features are copied as they are.
 */
class BatchMakerTest {
  private static final int C = 3;
  private static final int H = 64;
  private static final int W = 64;

  @Test
  void pixelsAndFeaturesLandWhereTheBatchSaysItsDataStart() {
    for (int n : new int[] {2, 48}) {
      SplittableRandom rnd = new SplittableRandom(n);
      byte[] pixels = new byte[n * C * H * W];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (byte) rnd.nextInt(256);
      }
      int[] labels = new int[n];
      SampleBlock block = new SampleBlock(C, H, W, pixels, labels, new String[n]);
      Normalization norm = new Normalization(new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.25f, 0.5f, 2f});
      Tensor x = new BatchMaker().make(block, null, 0, n, List.of(), norm, 0, 0, 0);
      assertArrayEquals(new int[] {n, C, H, W}, x.shape());
      assertTrue(x.offset >= 0 && x.offset < 16 && x.data.length >= x.offset + x.size(), "offset " + x.offset);
      float[] expected = new float[x.size()];
      ImageDecoding.toUnit(pixels, 0, expected, 0, expected.length);
      for (int s = 0; s < n; s++) {
        norm.apply(expected, s * C * H * W, C, H * W);
      }
      assertArrayEquals(expected, x.toArray(), n + " images");

      float[] features = new float[n * C * H * W];
      for (int i = 0; i < features.length; i++) {
        features[i] = (float) rnd.nextGaussian();
      }
      SampleBlock cached = SampleBlock.ofFeatures(new int[] {C, H, W}, features, labels);
      Tensor f = new BatchMaker().make(cached, null, 0, n, List.of(), null, 0, 0, 0);
      assertArrayEquals(features, f.toArray(), n + " feature maps");
    }
  }

  @Test
  void aLargeBatchStartsOnTheLineBoundaryItsLayersBuffersWould() {
    int n = 48;
    SampleBlock block = new SampleBlock(C, H, W, new byte[n * C * H * W], new int[n], new String[n]);
    Tensor x = new BatchMaker().make(block, null, 0, n, List.of(), null, 0, 0, 0);
    assertEquals(Tensor.zerosFromLine(n, C, H, W).offset, x.offset);
  }
}
