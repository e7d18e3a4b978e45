package sparkcnn.driver.data;

import java.util.List;
import java.util.SplittableRandom;
import sparkcnn.driver.data.augment.Augmentation;
import sparkcnn.driver.data.augment.Augmentations;
import sparkcnn.kernels.Tensor;

/**
 * Turns samples of a block into a float batch (N, C, H, W): bytes to [0, 1], the augmentations (seeded per sample
 * by the run's seed, the step, the partition and the sample's position in the shard), then normalization. The
 * labels are one per sample, or for a block with masks N * H * W per-pixel classes in (n, y, x) order, each mask
 * moved by its image's geometric augmentations. Keeps its buffers between calls.
 */
public final class BatchMaker {
  private Tensor batch;
  private int[] labels;
  private float[] image;
  private float[] scratch;
  private int[] mask;
  /** The class of mask pixels an augmentation brings in from outside the image (crop padding, warps). */
  private final int fill;

  /** For classification, or segmentation whose uncovered pixels count as class 0 (background). */
  public BatchMaker() {
    this(0);
  }

  /** fill: the class of mask pixels brought in from outside the image, e.g. the ignore index. */
  public BatchMaker(int fill) {
    this.fill = fill;
  }

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
    // A mask is the image's size: H * W, also when the block holds pre-computed features of another shape.
    int plane = block.masks != null ? block.masks.length / block.size() : h * w;
    int labelsPer = block.masks != null ? plane : 1;
    if (batch == null || batch.dim(0) != n || batch.size() != n * per) {
      // From a cache-line boundary where one is known, as the layers' buffers (Buffers): the first layer's planes
      // then start on lines too.
      batch = Tensor.zerosFromLine(n, c, h, w);
    }
    if (labels == null || labels.length != n * labelsPer) {
      labels = new int[n * labelsPer];
    }
    if (image == null || image.length != per) {
      image = new float[per];
      scratch = new float[3 * per];
    }
    if (block.masks != null && (mask == null || mask.length != plane)) {
      mask = new int[plane];
    }
    for (int i = 0; i < n; i++) {
      int s = indices == null ? from + i : indices[from + i];
      int src = s * per;
      if (block.masks != null) {
        for (int p = 0; p < plane; p++) {
          mask[p] = block.masks[s * plane + p] & 0xff;
        }
      }
      if (block.features != null) {
        // Pre-computed features: already what the trained layers take (no augmentation, no normalization).
        System.arraycopy(block.features, src, batch.data, batch.offset + i * per, per);
      } else {
        ImageDecoding.toUnit(block.pixels, src, image, 0, per);
        if (!augmentations.isEmpty()) {
          SplittableRandom rnd = Augmentations.random(seed, step, partition, from + i);
          for (Augmentation a : augmentations) {
            if (block.masks == null) {
              a.apply(image, c, h, w, rnd, scratch);
            } else {
              Augmentation.Drawn d = a.draw(rnd, c, h, w);
              d.image(image, c, h, w, scratch);
              d.mask(mask, h, w, fill);
            }
          }
        }
        System.arraycopy(image, 0, batch.data, batch.offset + i * per, per);
        if (norm != null) {
          norm.apply(batch.data, batch.offset + i * per, c, h * w);
        }
      }
      if (block.masks != null) {
        System.arraycopy(mask, 0, labels, i * plane, plane);
      } else {
        labels[i] = block.labels[s];
      }
    }
    return batch;
  }

  /** The labels of the last batch made: one per sample, or H * W per sample for masks. */
  public int[] labels() {
    return labels;
  }
}
