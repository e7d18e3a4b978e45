package sparkcnn.driver.data;

/**
 * Fits the samples of a block to a model's input: bilinear scaling so the image covers H x W, the centre cropped
 * (as for decoded images), grey replicated to RGB or RGB averaged to grey. Used when a resolution multiplier
 * asks for another size than the data's own (28x28 Fashion-MNIST into a 32x32 network). Masks are resized
 * nearest-neighbour over the same window, since class indices must not be blended.
 */
public final class BlockResize {
  private BlockResize() {}

  public static boolean fits(SampleBlock b, int c, int h, int w) {
    return b.channels == c && b.height == h && b.width == w;
  }

  public static SampleBlock fit(SampleBlock b, int c, int h, int w) {
    if (fits(b, c, h, w)) {
      return b;
    }
    double scale = Math.max(h / (double) b.height, w / (double) b.width);
    double sh = b.height * scale;
    double sw = b.width * scale;
    double top = (sh - h) / 2;
    double left = (sw - w) / 2;
    int in = b.sampleBytes();
    int plane = b.height * b.width;
    byte[] out = new byte[b.size() * c * h * w];
    for (int s = 0; s < b.size(); s++) {
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < h; i++) {
          double y = Math.min(b.height - 1, Math.max(0, (i + top + 0.5) / scale - 0.5));
          int y0 = (int) y;
          int y1 = Math.min(y0 + 1, b.height - 1);
          double fy = y - y0;
          for (int j = 0; j < w; j++) {
            double x = Math.min(b.width - 1, Math.max(0, (j + left + 0.5) / scale - 0.5));
            int x0 = (int) x;
            int x1 = Math.min(x0 + 1, b.width - 1);
            double fx = x - x0;
            double v = 0;
            int from = b.channels == c ? ch : 0;
            int count = b.channels == c ? 1 : b.channels == 1 ? 1 : b.channels;
            for (int k = 0; k < count; k++) {
              int base = s * in + (c == 1 && b.channels > 1 ? k : from) * plane;
              v += (1 - fy) * ((1 - fx) * px(b, base + y0 * b.width + x0) + fx * px(b, base + y0 * b.width + x1))
                  + fy * ((1 - fx) * px(b, base + y1 * b.width + x0) + fx * px(b, base + y1 * b.width + x1));
            }
            out[((s * c + ch) * h + i) * w + j] = (byte) Math.round(v / count);
          }
        }
      }
    }
    SampleBlock fitted = new SampleBlock(c, h, w, out, b.labels, b.sources);
    if (b.masks != null) {
      fitted.masks = new byte[b.size() * h * w];
      for (int s = 0; s < b.size(); s++) {
        MaskDecoding.nearest(b.masks, s * b.height * b.width, b.height, b.width, fitted.masks, s * h * w, h, w);
      }
    }
    return fitted;
  }

  private static int px(SampleBlock b, int i) {
    return b.pixels[i] & 0xff;
  }
}
