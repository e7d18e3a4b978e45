package sparkcnn.driver.data.augment;

/**
 * Resampling through a coordinate map: bilinear for images (outside reads as zero), nearest neighbour for masks
 * (outside reads as the fill class), so a mask follows its image's warp without blending class indices.
 */
final class Warp {
  private Warp() {}

  /**
   * img(ch, i, j) = src(ch, ys[i w + j], xs[i w + j]) for every channel, src being a copy of img taken into
   * scratch first.
   */
  static void resample(float[] img, int c, int h, int w, float[] ys, float[] xs, float[] scratch) {
    int n = c * h * w;
    System.arraycopy(img, 0, scratch, 0, n);
    for (int p = 0; p < h * w; p++) {
      float y = ys[p];
      float x = xs[p];
      int y0 = (int) Math.floor(y);
      int x0 = (int) Math.floor(x);
      float fy = y - y0;
      float fx = x - x0;
      for (int ch = 0; ch < c; ch++) {
        int base = ch * h * w;
        img[base + p] = (1 - fy) * ((1 - fx) * at(scratch, base, h, w, y0, x0) + fx * at(scratch, base, h, w, y0, x0 + 1))
            + fy * ((1 - fx) * at(scratch, base, h, w, y0 + 1, x0) + fx * at(scratch, base, h, w, y0 + 1, x0 + 1));
      }
    }
  }

  /** mask(i, j) = src(round(ys[i w + j]), round(xs[i w + j])), or fill outside the mask. */
  static void nearest(int[] mask, int h, int w, float[] ys, float[] xs, int fill) {
    int[] src = mask.clone();
    for (int p = 0; p < h * w; p++) {
      int i = (int) Math.floor(ys[p] + 0.5f);
      int j = (int) Math.floor(xs[p] + 0.5f);
      mask[p] = i >= 0 && i < h && j >= 0 && j < w ? src[i * w + j] : fill;
    }
  }

  /** A drawn coordinate map: the image bilinear, the mask nearest. */
  static Augmentation.Drawn through(float[] ys, float[] xs) {
    return new Augmentation.Drawn() {
      @Override
      public void image(float[] img, int c, int h, int w, float[] scratch) {
        resample(img, c, h, w, ys, xs, scratch);
      }

      @Override
      public void mask(int[] mask, int h, int w, int fill) {
        nearest(mask, h, w, ys, xs, fill);
      }
    };
  }

  private static float at(float[] src, int base, int h, int w, int i, int j) {
    return i >= 0 && i < h && j >= 0 && j < w ? src[base + i * w + j] : 0f;
  }
}
