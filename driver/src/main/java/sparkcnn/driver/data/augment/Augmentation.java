package sparkcnn.driver.data.augment;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * A random transformation of one training image, applied per step on the executors. Images are (C, H, W) floats
 * in [0, 1] before normalization. The random source is seeded per sample from (seed, epoch, step, partition,
 * position), so a retried task or a resumed run draws the same transformations.
 */
public interface Augmentation extends Serializable {
  /** Transforms img in place; scratch holds at least 3 * C * H * W floats. */
  void apply(float[] img, int c, int h, int w, SplittableRandom rnd, float[] scratch);

  /** The job-file form, e.g. "crop:4". */
  String describe();
}
