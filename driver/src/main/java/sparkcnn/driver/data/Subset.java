package sparkcnn.driver.data;

import java.util.Arrays;

/**
 * A subset of a block's samples: only some classes (renumbered in the order given, for a fine-tuning task made
 * of some of a data set's classes) and a share of the rest; masks travel with their images. Whether a sample is kept depends only on its pixels,
 * its label and the seed, never on which partition holds it, so any partitioning keeps the same samples.
 */
final class Subset {
  private Subset() {}

  /** The samples of b whose label is in classes (all if empty) and whose draw falls under fraction. */
  static SampleBlock of(SampleBlock b, int[] classes, double fraction, long seed) {
    int per = b.sampleBytes();
    return where(b, i -> {
      int label = classes.length == 0 ? b.labels[i] : indexOf(classes, b.labels[i]);
      return label >= 0 && (fraction >= 1 || unit(hash(b.pixels, i * per, per, b.labels[i], seed)) < fraction)
          ? label : -1;
    });
  }

  /**
   * The samples i of b for which label(i) is not negative, with that label; masks and sources travel with their
   * images.
   */
  static SampleBlock where(SampleBlock b, java.util.function.IntUnaryOperator label) {
    int per = b.sampleBytes();
    int plane = b.masks == null ? 0 : b.masks.length / Math.max(1, b.size());
    byte[] px = new byte[b.pixels.length];
    byte[] masks = b.masks == null ? null : new byte[b.masks.length];
    int[] y = new int[b.size()];
    String[] src = b.sources == null ? null : new String[b.size()];
    int n = 0;
    for (int i = 0; i < b.size(); i++) {
      int l = label.applyAsInt(i);
      if (l < 0) {
        continue;
      }
      System.arraycopy(b.pixels, i * per, px, n * per, per);
      if (masks != null) {
        System.arraycopy(b.masks, i * plane, masks, n * plane, plane);
      }
      y[n] = l;
      if (src != null) {
        src[n] = b.sources[i];
      }
      n++;
    }
    SampleBlock out = new SampleBlock(b.channels, b.height, b.width, Arrays.copyOf(px, n * per), Arrays.copyOf(y, n),
        src == null ? null : Arrays.copyOf(src, n));
    out.masks = masks == null ? null : Arrays.copyOf(masks, n * plane);
    return out;
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }

  /** A 64-bit hash of a sample's bytes, its label and a seed (FNV-1a, then a 64-bit mix). */
  static long hash(byte[] px, int off, int n, int label, long seed) {
    long h = 0xcbf29ce484222325L ^ seed;
    for (int i = off; i < off + n; i++) {
      h = (h ^ (px[i] & 0xff)) * 0x100000001b3L;
    }
    h = (h ^ label) * 0x9E3779B97F4A7C15L;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    return h;
  }

  /** A hash as a uniform draw in [0, 1). */
  static double unit(long h) {
    return (h >>> 11) * 0x1.0p-53;
  }
}
