package sparkcnn.models.layers;

import sparkcnn.kernels.CacheSizes;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.kernels.Parallel;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;

/**
 * Inference only: the body of MobileNet-v2's inverted residual block (expand 1x1 + activation, depthwise +
 * activation, project 1x1, batch norms already folded into each) computed one band of output rows at a time, as
 * XNNPACK and oneDNN do.
 *
 * <p>Layer by layer, the expanded tensor (six times the block's channels) is written to memory whole, read back by
 * the depthwise convolution, whose output is written and read again by the projection: at batch 64 and 56x56
 * that is over 100 MB streamed per step, for 9 multiply-adds per element in the depthwise. Here each band's
 * expanded rows (plus the depthwise's halo rows) and its depthwise output are sized to fit half of L2, so only the
 * block's input and output touch memory. The three convolutions keep their own parameters (and refolds), and
 * run the same kernels as unfused, on band-shaped geometries; the unfused layers stay the reference the tests
 * compare against.
 */
final class InvertedResidualBands implements Layer {
  /** Null when the block has no expansion (MobileNet-v2's first block). */
  private final Conv2d expand;
  private final Conv2d depthwise;
  private final Conv2d project;
  private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[2][]);
  private Tensor y;
  /** At most this many output rows per band: tests set it low to cross many band edges on small images. */
  static volatile int bandLimit = Integer.MAX_VALUE;

  InvertedResidualBands(Conv2d expand, Conv2d depthwise, Conv2d project) {
    this.expand = expand;
    this.depthwise = depthwise;
    this.project = project;
  }

  @Override
  public int[] outputShape(int[] in) {
    int[] s = expand == null ? in : expand.outputShape(in);
    return project.outputShape(depthwise.outputShape(s));
  }

  @Override
  public long macs(int[] in) {
    long m = 0;
    int[] s = in;
    if (expand != null) {
      m += expand.macs(s);
      s = expand.outputShape(s);
    }
    m += depthwise.macs(s);
    return m + project.macs(depthwise.outputShape(s));
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    if (training) {
      throw new IllegalStateException(describe() + ": an inference graph's layer cannot train");
    }
    int[] shape = x.shape();
    int hidden = depthwise.inChannels();
    ConvGeom dg = depthwise.geometry(new int[] {1, hidden, shape[2], shape[3]});
    int[] outShape = outputShape(shape);
    y = Buffers.ensure(y, outShape);
    int n = shape[0];
    int band = bandRows(dg);
    // Fewer images than threads (batch 1: latency): narrower bands, so that every thread has one.
    int threads = Parallel.threads();
    if (n < threads) {
      band = Math.min(band, Math.max(1, (dg.p() * n + threads - 1) / threads));
    }
    int rows = band;
    int bands = (dg.p() + band - 1) / band;
    float[] out = y.data;
    int yOff = y.offset;
    // Bands are independent (each writes its own output rows): (image, band) pairs in parallel, the kernels
    // inside each running on its thread.
    Parallel.forRange(n * bands, (lo, hi, t) -> {
      for (int item = lo; item < hi; item++) {
        band(x, item / bands, (item % bands) * rows, rows, dg, out, yOff);
      }
    });
    return y;
  }

  /**
   * Output rows per band: as many as keep the band's expanded input rows and depthwise output within half of L2
   * (the GEMMs' packed panels use the rest), at least one.
   */
  private static int bandRows(ConvGeom dg) {
    long perRow = 4L * dg.c() * ((long) dg.strideH() * dg.w() + dg.q());
    long halo = 4L * dg.c() * (long) (dg.r() - 1) * dg.w();
    long budget = CacheSizes.l2() / 2 - halo;
    return (int) Math.max(1, Math.min(Math.min(dg.p(), bandLimit), budget / perRow));
  }

  /** Output rows [p0, p0 + band) of image i (fewer at the bottom). */
  private void band(Tensor x, int i, int p0, int band, ConvGeom dg, float[] out, int yOff) {
    int c = dg.c();
    int h = dg.h();
    int w = dg.w();
    int p = dg.p();
    int q = dg.q();
    int stride = dg.strideH();
    int r = dg.r();
    int cin = x.shape()[1];
    int cout = project.outChannels();
    int xImg = x.offset + i * cin * h * w;
    int yImg = yOff + i * cout * p * q;
    float[][] buf = scratch.get();
    int p1 = Math.min(p, p0 + band);
    // The input rows the band's outputs read, inside the image; the rest is the layer's zero padding.
    int top = p0 * stride - dg.padTop();
    int h0 = Math.max(0, top);
    int h1 = Math.min(h, (p1 - 1) * stride - dg.padTop() + r);
    int inRows = h1 - h0;
    int padTop = h0 - top;
    int padBottom = Math.max(0, (p1 - 1 - p0) * stride + r - inRows - padTop);
    float[] e = buf[0] = grow(buf[0], c * inRows * w);
    if (expand != null) {
      expand.pointwiseOn(x.data, xImg + h0 * w, h * w, inRows * w, e, 0, inRows * w);
    } else {
      for (int ch = 0; ch < c; ch++) {
        System.arraycopy(x.data, xImg + ch * h * w + h0 * w, e, ch * inRows * w, inRows * w);
      }
    }
    ConvGeom bg = new ConvGeom(1, c, inRows, w, c, r, dg.s(), stride, dg.strideW(), padTop, dg.padLeft(), padBottom,
        dg.padRight(), 1, 1, c);
    int cols = (p1 - p0) * q;
    float[] d = buf[1] = grow(buf[1], c * cols);
    depthwise.forwardOn(e, 0, bg, d, 0);
    project.pointwiseOn(d, 0, cols, cols, out, yImg + p0 * q, p * q);
  }

  private static float[] grow(float[] a, int size) {
    return a != null && a.length >= size ? a : new float[size];
  }

  @Override
  public Tensor backward(Tensor dy) {
    throw new IllegalStateException(describe() + ": an inference graph's layer has no backward");
  }

  @Override
  public String describe() {
    return "inverted residual in row bands (" + (expand == null ? "" : expand.describe() + ", ") + depthwise.describe()
        + ", " + project.describe() + ")";
  }
}
