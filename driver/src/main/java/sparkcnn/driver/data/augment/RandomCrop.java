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
  public Drawn draw(SplittableRandom rnd, int c, int h, int w) {
    int dy = rnd.nextInt(2 * pad + 1) - pad;
    int dx = rnd.nextInt(2 * pad + 1) - pad;
    return new Drawn() {
      @Override
      public void image(float[] img, int ch, int ih, int iw, float[] scratch) {
        shift(img, ch, ih, iw, dy, dx, scratch);
      }

      @Override
      public void mask(int[] mask, int ih, int iw, int fill) {
        int[] src = mask.clone();
        for (int i = 0; i < ih; i++) {
          for (int j = 0; j < iw; j++) {
            int si = i + dy;
            int sj = j + dx;
            mask[i * iw + j] = si >= 0 && si < ih && sj >= 0 && sj < iw ? src[si * iw + sj] : fill;
          }
        }
      }
    };
  }

  private static void shift(float[] img, int c, int h, int w, int dy, int dx, float[] scratch) {
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
