package sparkcnn.kernels;

/**
 * Channel-axis data movement for NCHW: concat (Inception, DenseNet, U-Net skips), its adjoint split, and
 * ShuffleNet's channel shuffle, which views C as (groups, C / groups), transposes to (C / groups, groups) and
 * flattens, so the next grouped convolution sees channels from every group.
 */
public final class ChannelOps {
  private ChannelOps() {}

  /** y (N, sum c_i, HW) = concat of parts i, each (N, c_i, HW) at offs[i]. */
  public static void concat(float[][] parts, int[] offs, int[] channels, int n, int hw, float[] y, int yOff) {
    int total = sum(channels);
    for (int i = 0; i < n; i++) {
      int c0 = 0;
      for (int p = 0; p < parts.length; p++) {
        int len = channels[p] * hw;
        System.arraycopy(parts[p], offs[p] + i * len, y, yOff + (i * total + c0) * hw, len);
        c0 += channels[p];
      }
    }
  }

  /** The adjoint of concat: part i (overwritten) receives its channels of dy. */
  public static void split(float[] dy, int dyOff, int n, int hw, float[][] parts, int[] offs, int[] channels) {
    int total = sum(channels);
    for (int i = 0; i < n; i++) {
      int c0 = 0;
      for (int p = 0; p < parts.length; p++) {
        int len = channels[p] * hw;
        System.arraycopy(dy, dyOff + (i * total + c0) * hw, parts[p], offs[p] + i * len, len);
        c0 += channels[p];
      }
    }
  }

  /** y channel j * groups + g = x channel g * (C / groups) + j. */
  public static void shuffle(float[] x, int xOff, float[] y, int yOff, int n, int c, int hw, int groups) {
    if (groups <= 0 || c % groups != 0) {
      throw new IllegalArgumentException("channel shuffle: " + groups + " groups must divide " + c + " channels");
    }
    int per = c / groups;
    for (int i = 0; i < n; i++) {
      for (int g = 0; g < groups; g++) {
        for (int j = 0; j < per; j++) {
          System.arraycopy(x, xOff + (i * c + g * per + j) * hw, y, yOff + (i * c + j * groups + g) * hw, hw);
        }
      }
    }
  }

  /** The inverse permutation, which is also shuffle's backward: a shuffle with C / groups groups. */
  public static void unshuffle(float[] dy, int dyOff, float[] dx, int dxOff, int n, int c, int hw, int groups) {
    shuffle(dy, dyOff, dx, dxOff, n, c, hw, c / groups);
  }

  private static int sum(int[] a) {
    int s = 0;
    for (int v : a) {
      s += v;
    }
    return s;
  }
}
