package sparkcnn.driver.data;

import java.util.List;
import sparkcnn.driver.data.augment.Augmentation;
import sparkcnn.driver.data.augment.Augmentations;
import sparkcnn.kernels.Tensor;

/**
 * Turns samples of a block into a float batch (N, C, H, W): bytes to [0, 1], the augmentations (seeded per sample
 * by the run's seed, the step, the partition and the sample's position in the shard), then normalization. Keeps
 * its buffers between calls.
 */
public final class BatchMaker {
  private Tensor batch;
  private int[] labels;
  private float[] image;
  private float[] scratch;

  /**
   * Samples indices[from, from + n) of block. augmentations may be empty (evaluation); step and partition seed
   * them.
   */
  public Tensor make(SampleBlock block, int[] indices, int from, int n, List<Augmentation> augmentations,
      Normalization norm, long seed, long step, int partition) {
    int c = block.channels;
    int h = block.height;
    int w = block.width;
    int per = c * h * w;
    if (batch == null || batch.dim(0) != n || batch.size() != n * per) {
      batch = Tensor.zeros(n, c, h, w);
      labels = new int[n];
    }
    if (image == null || image.length != per) {
      image = new float[per];
      scratch = new float[3 * per];
    }
    for (int i = 0; i < n; i++) {
      int s = indices == null ? from + i : indices[from + i];
      int src = s * per;
      labels[i] = block.labels[s];
      if (block.features != null) {
        // Pre-computed features: already what the trained layers take (no augmentation, no normalization).
        System.arraycopy(block.features, src, batch.data, i * per, per);
        continue;
      }
      ImageDecoding.toUnit(block.pixels, src, image, 0, per);
      if (!augmentations.isEmpty()) {
        java.util.SplittableRandom rnd = Augmentations.random(seed, step, partition, from + i);
        for (Augmentation a : augmentations) {
          a.apply(image, c, h, w, rnd, scratch);
        }
      }
      System.arraycopy(image, 0, batch.data, i * per, per);
      if (norm != null) {
        norm.apply(batch.data, i * per, c, h * w);
      }
    }
    return batch;
  }

  /** The labels of the last batch made. */
  public int[] labels() {
    return labels;
  }
}
