package sparkcnn.driver.data.augment;

import java.util.SplittableRandom;

/**
 * Colour shift: brightness (add a random offset in [-b, b]), contrast (scale around the image mean by a factor in
 * [1 - k, 1 + k]) and, for RGB, saturation (blend with the grey image by a factor in [1 - s, 1 + s]); clipped to
 * [0, 1].
 */
public final class ColorJitter implements Augmentation {
  private final double brightness;
  private final double contrast;
  private final double saturation;

  public ColorJitter(double brightness, double contrast, double saturation) {
    if (brightness < 0 || contrast < 0 || saturation < 0 || contrast > 1 || saturation > 1) {
      throw new IllegalArgumentException("color: brightness >= 0, contrast and saturation in [0, 1], got "
          + brightness + ", " + contrast + ", " + saturation);
    }
    this.brightness = brightness;
    this.contrast = contrast;
    this.saturation = saturation;
  }

  @Override
  public Drawn draw(SplittableRandom rnd, int c, int h, int w) {
    float add = (float) ((rnd.nextDouble() * 2 - 1) * brightness);
    float scale = (float) (1 + (rnd.nextDouble() * 2 - 1) * contrast);
    float sat = (float) (1 + (rnd.nextDouble() * 2 - 1) * saturation);
    return (Photometric) (img, ch, ih, iw, scratch) -> jitter(img, ch, ih, iw, add, scale, sat);
  }

  private void jitter(float[] img, int c, int h, int w, float add, float scale, float sat) {
    int n = c * h * w;
    int plane = h * w;
    double mean = 0;
    for (int i = 0; i < n; i++) {
      mean += img[i];
    }
    float m = (float) (mean / n);
    for (int i = 0; i < n; i++) {
      img[i] = (img[i] - m) * scale + m + add;
    }
    if (c == 3 && saturation > 0) {
      for (int p = 0; p < plane; p++) {
        float grey = 0.299f * img[p] + 0.587f * img[plane + p] + 0.114f * img[2 * plane + p];
        for (int ch = 0; ch < 3; ch++) {
          img[ch * plane + p] = grey + (img[ch * plane + p] - grey) * sat;
        }
      }
    }
    for (int i = 0; i < n; i++) {
      img[i] = Math.min(1f, Math.max(0f, img[i]));
    }
  }

  @Override
  public String describe() {
    return "color:" + brightness + ":" + contrast + ":" + saturation;
  }
}
