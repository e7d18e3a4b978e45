package sparkcnn.driver.data.augment;

import java.util.SplittableRandom;

/** Mirrors the image left-right (horizontal) or top-bottom (vertical) with probability one half. */
public final class Mirror implements Augmentation {
  private final boolean horizontal;

  public Mirror(boolean horizontal) {
    this.horizontal = horizontal;
  }

  @Override
  public Drawn draw(SplittableRandom rnd, int c, int h, int w) {
    boolean flip = rnd.nextBoolean();
    return new Drawn() {
      @Override
      public void image(float[] img, int ch, int ih, int iw, float[] scratch) {
        if (flip) {
          mirror(img, ch, ih, iw);
        }
      }

      @Override
      public void mask(int[] mask, int ih, int iw, int fill) {
        if (flip) {
          int[] src = mask.clone();
          for (int i = 0; i < ih; i++) {
            for (int j = 0; j < iw; j++) {
              mask[i * iw + j] = horizontal ? src[i * iw + iw - 1 - j] : src[(ih - 1 - i) * iw + j];
            }
          }
        }
      }
    };
  }

  private void mirror(float[] img, int c, int h, int w) {
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      if (horizontal) {
        for (int i = 0; i < h; i++) {
          for (int a = base + i * w, b = a + w - 1; a < b; a++, b--) {
            float t = img[a];
            img[a] = img[b];
            img[b] = t;
          }
        }
      } else {
        for (int top = 0, bottom = h - 1; top < bottom; top++, bottom--) {
          for (int j = 0; j < w; j++) {
            float t = img[base + top * w + j];
            img[base + top * w + j] = img[base + bottom * w + j];
            img[base + bottom * w + j] = t;
          }
        }
      }
    }
  }

  @Override
  public String describe() {
    return horizontal ? "hflip" : "vflip";
  }
}
