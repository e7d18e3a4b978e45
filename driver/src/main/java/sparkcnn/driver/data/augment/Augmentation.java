package sparkcnn.driver.data.augment;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * A random transformation of one training image, applied per step on the executors. Images are (C, H, W) floats
 * in [0, 1] before normalization. The random source is seeded per sample from (seed, epoch, step, partition,
 * position), so a retried task or a resumed run draws the same transformations.
 *
 * <p>An augmentation first draws its parameters ({@link #draw}), then applies them: to the image, and for
 * segmentation to the mask too. Splitting the two is what lets the mask receive exactly the image's geometric
 * transform (the same random draws, nearest-neighbour instead of bilinear), while the colour ones leave it alone.
 */
public interface Augmentation extends Serializable {
  /** This sample's parameters, drawn from rnd (the same draws whether or not a mask follows). */
  Drawn draw(SplittableRandom rnd, int c, int h, int w);

  /** Draws and transforms img in place; scratch holds at least 3 * C * H * W floats. */
  default void apply(float[] img, int c, int h, int w, SplittableRandom rnd, float[] scratch) {
    draw(rnd, c, h, w).image(img, c, h, w, scratch);
  }

  /** The job-file form, e.g. "crop:4". */
  String describe();

  /** One sample's drawn transformation. */
  interface Drawn {
    /** Transforms img (C, H, W) in place; scratch holds at least 3 * C * H * W floats. */
    void image(float[] img, int c, int h, int w, float[] scratch);

    /**
     * The same transformation of a mask of H * W class indices, in place: geometric ones move it exactly as the
     * image (nearest neighbour; pixels brought in from outside the image become fill), colour ones leave it as is.
     */
    void mask(int[] mask, int h, int w, int fill);
  }

  /** A colour transformation's drawn form: the mask is untouched. */
  interface Photometric extends Drawn {
    @Override
    default void mask(int[] mask, int h, int w, int fill) {
      // Colour changes no class.
    }
  }
}
