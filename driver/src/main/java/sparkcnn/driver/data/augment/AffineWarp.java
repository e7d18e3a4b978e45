package sparkcnn.driver.data.augment;

import java.util.SplittableRandom;

/**
 * Rotation by a random angle in [-rotate, rotate] degrees and horizontal shear by a random angle in
 * [-shear, shear] degrees, about the image centre, bilinear.
 */
public final class AffineWarp implements Augmentation {
  private final double rotate;
  private final double shear;

  public AffineWarp(double rotate, double shear) {
    if (rotate < 0 || shear < 0 || rotate > 180 || shear >= 90) {
      throw new IllegalArgumentException("rotate / shear: angles in degrees, 0..180 and 0..89, got " + rotate + ", "
          + shear);
    }
    this.rotate = rotate;
    this.shear = shear;
  }

  @Override
  public Drawn draw(SplittableRandom rnd, int c, int h, int w) {
    double a = Math.toRadians((rnd.nextDouble() * 2 - 1) * rotate);
    double s = Math.tan(Math.toRadians((rnd.nextDouble() * 2 - 1) * shear));
    double cos = Math.cos(a);
    double sin = Math.sin(a);
    double cy = (h - 1) / 2.0;
    double cx = (w - 1) / 2.0;
    float[] ys = new float[h * w];
    float[] xs = new float[h * w];
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < w; j++) {
        // Inverse map: output pixel -> source pixel (un-shear, then un-rotate).
        double y = i - cy;
        double x = j - cx - s * y;
        ys[i * w + j] = (float) (cy + cos * y - sin * x);
        xs[i * w + j] = (float) (cx + sin * y + cos * x);
      }
    }
    return Warp.through(ys, xs);
  }

  @Override
  public String describe() {
    return rotate > 0 && shear > 0 ? "rotate:" + rotate + ",shear:" + shear : rotate > 0 ? "rotate:" + rotate
        : "shear:" + shear;
  }
}
