package sparkcnn.driver.data.augment;

import java.util.SplittableRandom;

/** Mirrors the image left-right (horizontal) or top-bottom (vertical) with probability one half. */
public final class Mirror implements Augmentation {
  private final boolean horizontal;

  public Mirror(boolean horizontal) {
    this.horizontal = horizontal;
  }

  @Override
  public void apply(float[] img, int c, int h, int w, SplittableRandom rnd, float[] scratch) {
    if (!rnd.nextBoolean()) {
      return;
    }
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
