package sparkcnn.driver.data.augment;

/** Bilinear resampling of an image through a coordinate map; outside the image reads as zero. */
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

  private static float at(float[] src, int base, int h, int w, int i, int j) {
    return i >= 0 && i < h && j >= 0 && j < w ? src[base + i * w + j] : 0f;
  }
}
