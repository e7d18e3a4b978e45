package sparkcnn.kernels;

/**
 * The arithmetic of a 3D convolution: input (N, C, D, H, W), weights (K, C/groups, T, R, S), output
 * (N, K, OD, P, Q), each output extent 1 + (in + 2 pad - dil (kernel - 1) - 1) / stride. Symmetric padding.
 */
public record Conv3dGeom(int n, int c, int d, int h, int w, int k, int t, int r, int s,
    int stride, int pad, int dilation, int groups) {

  public Conv3dGeom {
    int[] dims = {n, c, d, h, w, k, t, r, s, stride, dilation, groups};
    for (int v : dims) {
      if (v <= 0) {
        throw new IllegalArgumentException("conv3d " + describe(n, c, d, h, w, t, r, s)
            + ": sizes, stride, dilation and groups must be positive");
      }
    }
    if (pad < 0 || c % groups != 0 || k % groups != 0) {
      throw new IllegalArgumentException("conv3d " + describe(n, c, d, h, w, t, r, s) + ": padding " + pad
          + " must be non-negative and groups " + groups + " must divide " + c + " and " + k);
    }
    int[] in = {d, h, w};
    int[] ker = {t, r, s};
    for (int i = 0; i < 3; i++) {
      if (dilation * (ker[i] - 1) + 1 > in[i] + 2 * pad) {
        throw new IllegalArgumentException("conv3d " + describe(n, c, d, h, w, t, r, s)
            + ": the (dilated) kernel is larger than the padded input");
      }
    }
  }

  private static String describe(int n, int c, int d, int h, int w, int t, int r, int s) {
    return "input " + Shape.show(n, c, d, h, w) + ", kernel " + t + "x" + r + "x" + s;
  }

  private int out(int in, int kernel) {
    return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
  }

  public int[] inputShape() {
    return new int[] {n, c, d, h, w};
  }

  public int[] outputShape() {
    return new int[] {n, k, od(), p(), q()};
  }

  public int od() {
    return out(d, t);
  }

  public int p() {
    return out(h, r);
  }

  public int q() {
    return out(w, s);
  }

  public int cg() {
    return c / groups;
  }

  public int kg() {
    return k / groups;
  }

  public int colRows() {
    return cg() * t * r * s;
  }

  public int volume() {
    return d * h * w;
  }

  public int outVolume() {
    return od() * p() * q();
  }

  public int inputSize() {
    return n * c * volume();
  }

  public int outputSize() {
    return n * k * outVolume();
  }

  public int weightSize() {
    return k * colRows();
  }

  public long macs() {
    return (long) n * k * outVolume() * colRows();
  }
}
