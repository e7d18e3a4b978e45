package sparkcnn.driver.data.augment;

import java.util.SplittableRandom;

/** Pads the image with pad zero pixels on every side and crops a random H x W window back (a random shift). */
public final class RandomCrop implements Augmentation {
  private final int pad;

  public RandomCrop(int pad) {
    if (pad < 1) {
      throw new IllegalArgumentException("crop: padding must be a positive number of pixels, got " + pad);
    }
    this.pad = pad;
  }

  @Override
  public void apply(float[] img, int c, int h, int w, SplittableRandom rnd, float[] scratch) {
    int dy = rnd.nextInt(2 * pad + 1) - pad;
    int dx = rnd.nextInt(2 * pad + 1) - pad;
    int n = c * h * w;
    System.arraycopy(img, 0, scratch, 0, n);
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        int si = i + dy;
        for (int j = 0; j < w; j++) {
          int sj = j + dx;
          img[(ch * h + i) * w + j] = si >= 0 && si < h && sj >= 0 && sj < w ? scratch[(ch * h + si) * w + sj] : 0f;
        }
      }
    }
  }

  @Override
  public String describe() {
    return "crop:" + pad;
  }
}
