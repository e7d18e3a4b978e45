package sparkcnn.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * 2D convolution (cross-correlation, as in every framework) with stride, padding, dilation and groups.
 * Stride 1: an implicit GEMM on the padded image ({@link ImplicitConv}). Otherwise: im2col of a block of output
 * rows, then GEMM; the block is sized to stay in L2. A pointwise (1x1, stride 1, unpadded) convolution is one
 * GEMM over the batch's planes side by side ({@link PointwiseBatched}; one image: a GEMM on the image itself); a
 * depthwise one goes to the depthwise kernels ({@link DepthwisePlanes}). Images run in parallel when the batch
 * covers the pool, otherwise GEMM itself goes parallel. That is {@link ConvAlgorithm#heuristic}; {@link ConvTuner}
 * can time the alternatives instead, and each pass also takes an explicit {@link ConvAlgorithm}.
 *
 * <p>Operands: x (N, C, H, W), w (K, C/groups, R, S), b (K) or null, y and dy (N, K, P, Q).
 * Forward and backwardInput overwrite their output; backwardWeights and backwardBias accumulate (+=).
 */
public final class Conv2dKernels {
  /** Floats of im2col columns per block: 512 KB, half of this core's L2. */
  private static final int BLOCK_FLOATS = 1 << 17;

  private Conv2dKernels() {}

  /** y = conv(x, w) + b, with the algorithm {@link ConvTuner} chooses. */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g) {
    forward(x, xOff, w, wOff, b, bOff, y, yOff, g, ConvTuner.choose(g, ConvAlgorithm.Pass.FORWARD));
  }

  /**
   * y = act(conv(x, w) + b), the algorithm {@link ConvTuner} chooses: an inference graph's convolution with its
   * activation fused, applied plane by plane in the same pass as the bias instead of a pass of its own.
   */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g, Activations.Fn act) {
    forward(x, xOff, w, wOff, b, bOff, y, yOff, g, ConvTuner.choose(g, ConvAlgorithm.Pass.FORWARD), act);
  }

  /** y = conv(x, w) + b with the given algorithm, which must {@link ConvAlgorithm#supports support} the pass. */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g, ConvAlgorithm a) {
    forward(x, xOff, w, wOff, b, bOff, y, yOff, g, a, Activations.Fn.NONE);
  }

  /** y = act(conv(x, w) + b) with the given algorithm. */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g, ConvAlgorithm a, Activations.Fn act) {
    forward(x, xOff, w, wOff, null, b, bOff, y, yOff, g, a, act);
  }

  /**
   * y = act(conv(x, w) + b), the algorithm {@link ConvTuner} chooses, with w also given packed by
   * {@link #packedWeights} (or null): the GEMM-based algorithms then read it instead of packing w again.
   */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] packedW, float[] b, int bOff,
      float[] y, int yOff, ConvGeom g, Activations.Fn act) {
    forward(x, xOff, w, wOff, packedW, b, bOff, y, yOff, g, ConvTuner.choose(g, ConvAlgorithm.Pass.FORWARD), act);
  }

  /**
   * The weights (K, C / groups, R, S) at wOff packed as the GEMM-based forward passes read them (im2col, implicit
   * GEMM, pointwise: each group's K / groups x C / groups R S matrix in {@link Gemm#packPanels}'s panels, group
   * after group), for weights that stay fixed over many forwards: an inference graph's, which every forward would
   * otherwise pack again (12% of efficientnet_b0's batch-1 latency at 224, mostly its 7x7 and 14x14 1x1 layers,
   * whose weights are as many floats as a forward's multiply-adds over 49 to 196). Into reuse when it has
   * exactly the size (a repack after new weights), else into a new array.
   */
  public static float[] packedWeights(float[] w, int wOff, int k, int colRows, int groups, float[] reuse) {
    Check.span("conv2d weights (" + k + " x " + colRows + ")", w, wOff, (long) k * colRows);
    int kg = k / groups;
    long size = (long) groups * ((kg + Gemm.MR - 1) / Gemm.MR) * Gemm.MR * colRows;
    if (k % groups != 0 || size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("conv2d weights: " + k + " filters in " + groups + " groups of "
          + colRows + " taps cannot be packed");
    }
    float[] dst = reuse != null && reuse.length == size ? reuse : new float[(int) size];
    Gemm.packGroups(false, groups, kg, colRows, w, wOff, dst, 0);
    return dst;
  }

  /**
   * packedW when given (see {@link #packedWeights}), else each group's op(w) ((m x k), transposed when trans) packed
   * by {@link Gemm#packGroups} into this thread's scratch: what a GEMM-based pass reads for all its images.
   */
  static float[] packedOrScratch(float[] packedW, boolean trans, int groups, int m, int k, float[] w, int wOff) {
    if (packedW != null) {
      return packedW;
    }
    float[] packed = Scratch.floats(Scratch.PACKED_W, groups * Gemm.packedSizeA(m, k));
    Gemm.packGroups(trans, groups, m, k, w, wOff, packed, 0);
    return packed;
  }

  /**
   * Whether the forward of this geometry, with the algorithm {@link ConvTuner} chooses, reads {@link #packedWeights}
   * (im2col, implicit GEMM, pointwise): an inference graph packs a layer's weights only then (Winograd, the
   * depthwise kernels and FFT transform or read the weights themselves).
   */
  public static boolean readsPackedWeights(ConvGeom g) {
    ConvAlgorithm a = ConvTuner.choose(g, ConvAlgorithm.Pass.FORWARD);
    return a == ConvAlgorithm.IM2COL_GEMM || a == ConvAlgorithm.IMPLICIT_GEMM || a == ConvAlgorithm.POINTWISE_BATCHED;
  }

  /**
   * Inference, a pointwise convolution without groups after a squeeze-and-excitation gate: y = act(conv(x s, w) + b),
   * s the gates of image i's input channels at gates[gOff + i C + c], without writing x s anywhere (see {@link
   * PointwiseBatched#forwardGated}). packedW as for {@link #forward} (null packs w per call).
   */
  public static void forwardGated(float[] x, int xOff, float[] gates, int gOff, float[] w, int wOff, float[] packedW,
      float[] b, int bOff, float[] y, int yOff, ConvGeom g, Activations.Fn act) {
    g.checkOperands("conv2d gated forward", x, xOff, w, wOff, b, bOff, y, yOff);
    if (!g.isPointwise() || g.groups() != 1) {
      throw new IllegalArgumentException("conv2d gated forward: needs a 1x1 convolution without stride, padding "
          + "or groups, got " + g);
    }
    Check.span("conv2d gated forward gates (" + g.n() + " x " + g.c() + ")", gates, gOff, (long) g.n() * g.c());
    checkPacked("conv2d gated forward", packedW, g);
    PointwiseBatched.forwardGated(x, xOff, gates, gOff, w, wOff, packedW, new Epilogue(b, bOff, act), y, yOff, g);
  }

  /** packedW null, or as long as {@link #packedWeights} makes them for g; else an error naming op. */
  private static void checkPacked(String op, float[] packedW, ConvGeom g) {
    int packedSize = g.groups() * Gemm.packedSizeA(g.kg(), g.colRows());
    if (packedW != null && packedW.length != packedSize) {
      throw new IllegalArgumentException(op + ": " + packedW.length + " packed weights for " + g.k()
          + " filters of " + g.colRows() + " taps in " + g.groups() + " group(s); expected " + packedSize);
    }
  }

  /** y = act(conv(x, w) + b) with the given algorithm, reading packedW (or packing w, if null) where it uses GEMM. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] packedW, float[] b, int bOff,
      float[] y, int yOff, ConvGeom g, ConvAlgorithm a, Activations.Fn act) {
    g.checkOperands("conv2d forward", x, xOff, w, wOff, b, bOff, y, yOff);
    checkPacked("conv2d forward", packedW, g);
    require(a, g, ConvAlgorithm.Pass.FORWARD);
    switch (a) {
      // These apply bias and activation themselves, to each plane, row or image while it is in cache.
      case DEPTHWISE_ROWS -> {
        DepthwiseRows.forward(x, xOff, w, wOff, b, bOff, act, y, yOff, g);
        return;
      }
      case DEPTHWISE_PLANES -> {
        DepthwisePlanes.forward(x, xOff, w, wOff, b, bOff, act, y, yOff, g);
        return;
      }
      case DEPTHWISE_LANES -> {
        DepthwiseLanes.forward(x, xOff, w, wOff, b, bOff, act, y, yOff, g);
        return;
      }
      case DEPTHWISE_SHIFTS -> {
        DepthwiseShifts.forward(x, xOff, w, wOff, b, bOff, act, y, yOff, g);
        return;
      }
      case DEPTHWISE_MATRIX -> {
        DepthwiseMatrix.forward(x, xOff, w, wOff, b, bOff, act, y, yOff, g);
        return;
      }
      case POINTWISE_BATCHED -> {
        PointwiseBatched.forward(x, xOff, w, wOff, packedW, new Epilogue(b, bOff, act), y, yOff, g);
        return;
      }
      case DEPTHWISE_TAPS -> DepthwiseReference.forward(x, xOff, w, wOff, y, yOff, g);
      case IMPLICIT_GEMM -> ImplicitConv.forward(x, xOff, w, wOff, packedW, y, yOff, g);
      case WINOGRAD -> WinogradConv.F2.forward(x, xOff, w, wOff, y, yOff, g);
      case WINOGRAD_4X4 -> WinogradConv.F4.forward(x, xOff, w, wOff, y, yOff, g);
      case FFT -> FftConv2d.forward(x, xOff, w, wOff, null, 0, y, yOff, g);
      case IM2COL_GEMM -> eachImage(g.n(), i -> forwardImage(x, xOff, w, wOff, packedW, y, yOff, g, i));
    }
    if (b != null || act != Activations.Fn.NONE) {
      epilogue(b, bOff, act, y, yOff, g.n(), g.k(), g.p() * g.q());
    }
  }

  /** Per plane: y += b[channel] (b may be null), then y = act(y), while the plane is in cache. */
  private static void epilogue(float[] b, int bOff, Activations.Fn act, float[] y, int yOff, int n, int c,
      int plane) {
    Parallel.forRange(n * c, (lo, hi, t) -> {
      for (int pl = lo; pl < hi; pl++) {
        biasAct(b, bOff + pl % c, act, y, yOff + pl * plane, plane);
      }
    });
  }

  /** y[off, off + n) = act(y + b[bAt]) (no bias when b is null): one channel's epilogue on one run. */
  public static void biasAct(float[] b, int bAt, Activations.Fn act, float[] y, int off, int n) {
    if (b != null) {
      float v = b[bAt];
      for (int j = 0; j < n; j++) {
        y[off + j] += v;
      }
    }
    act.apply(y, off, n);
  }

  /** dx = the adjoint of forward applied to dy (overwrites dx), with the algorithm {@link ConvTuner} chooses. */
  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    backwardInput(dy, dyOff, w, wOff, dx, dxOff, g, ConvTuner.choose(g, ConvAlgorithm.Pass.BACKWARD_DATA));
  }

  /** dx = the adjoint of forward applied to dy (overwrites dx), with the given algorithm. */
  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g,
      ConvAlgorithm a) {
    g.checkOperands("conv2d backwardInput", dx, dxOff, w, wOff, null, 0, dy, dyOff);
    require(a, g, ConvAlgorithm.Pass.BACKWARD_DATA);
    switch (a) {
      case DEPTHWISE_ROWS -> DepthwiseRows.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case DEPTHWISE_PLANES -> DepthwisePlanes.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case DEPTHWISE_LANES -> DepthwiseLanes.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case DEPTHWISE_SHIFTS -> DepthwiseShifts.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case DEPTHWISE_MATRIX -> DepthwiseMatrix.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case DEPTHWISE_TAPS -> DepthwiseReference.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case IMPLICIT_GEMM -> ImplicitConv.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case WINOGRAD -> WinogradConv.F2.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case WINOGRAD_4X4 -> WinogradConv.F4.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case FFT -> FftConv2d.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
      case IM2COL_GEMM -> {
        float[] wt = packedOrScratch(null, true, g.groups(), g.colRows(), g.kg(), w, wOff);
        eachImage(g.n(), i -> backwardInputImage(dy, dyOff, wt, dx, dxOff, g, i));
      }
      case POINTWISE_BATCHED -> PointwiseBatched.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
    }
  }

  /** dw += dL/dw for input x and output gradient dy, with the algorithm {@link ConvTuner} chooses. */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g, ConvTuner.choose(g, ConvAlgorithm.Pass.BACKWARD_WEIGHTS));
  }

  /** dw += dL/dw for input x and output gradient dy, with the given algorithm. */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g,
      ConvAlgorithm a) {
    g.checkOperands("conv2d backwardWeights", x, xOff, dw, dwOff, null, 0, dy, dyOff);
    require(a, g, ConvAlgorithm.Pass.BACKWARD_WEIGHTS);
    switch (a) {
      case DEPTHWISE_ROWS -> DepthwiseRows.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case DEPTHWISE_PLANES -> DepthwisePlanes.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case DEPTHWISE_LANES -> DepthwiseLanes.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case DEPTHWISE_SHIFTS -> DepthwiseShifts.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case DEPTHWISE_MATRIX -> DepthwiseMatrix.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case DEPTHWISE_TAPS -> DepthwiseReference.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case IMPLICIT_GEMM -> ImplicitConv.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case WINOGRAD -> WinogradConv.F2.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case WINOGRAD_4X4 -> WinogradConv.F4.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case FFT -> FftConv2d.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case IM2COL_GEMM -> im2colWeights(x, xOff, dy, dyOff, dw, dwOff, g);
      case POINTWISE_BATCHED -> PointwiseBatched.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
    }
  }

  private static void require(ConvAlgorithm a, ConvGeom g, ConvAlgorithm.Pass pass) {
    if (!a.supports(g, pass)) {
      throw new IllegalArgumentException(a.label() + " cannot compute the " + pass.name().toLowerCase(Locale.ROOT)
          + " pass of " + g);
    }
  }

  private static void im2colWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    if (g.n() < Parallel.threads() || Parallel.inWorker()) {
      for (int i = 0; i < g.n(); i++) {
        weightsImage(x, xOff, dy, dyOff, dw, dwOff, g, i);
      }
      return;
    }
    // One private gradient per chunk of images, summed at the end: no two threads write the same floats.
    int size = g.weightSize();
    int chunks = Parallel.chunks(g.n());
    float[] partial = Scratch.floats(Scratch.PARTIAL, chunks * size);
    Parallel.forRange(g.n(), (lo, hi, t) -> {
      Arrays.fill(partial, t * size, (t + 1) * size, 0f);
      for (int i = lo; i < hi; i++) {
        weightsImage(x, xOff, dy, dyOff, partial, t * size, g, i);
      }
    });
    for (int t = 0; t < chunks; t++) {
      for (int j = 0; j < size; j++) {
        dw[dwOff + j] += partial[t * size + j];
      }
    }
  }

  /** db[k] += sum over n, p, q of dy[n][k][p][q]. */
  public static void backwardBias(float[] dy, int dyOff, float[] db, int dbOff, ConvGeom g) {
    ConvGeom.operand("conv2d backwardBias", "dy", g.outputShape(), dy, dyOff);
    ConvGeom.operand("conv2d backwardBias", "db", new int[] {g.k()}, db, dbOff);
    sumPlanes(dy, dyOff, g.n(), g.k(), g.p() * g.q(), db, dbOff);
  }

  /** y[n][c][...] += b[c] over n images of c planes of the given size: the epilogue without an activation. */
  static void addPerChannel(float[] b, int bOff, float[] y, int yOff, int n, int c, int plane) {
    epilogue(b, bOff, Activations.Fn.NONE, y, yOff, n, c, plane);
  }

  /** db[c] += sum of dy[n][c][...] over n images of c planes of the given size. */
  static void sumPlanes(float[] dy, int dyOff, int n, int c, int plane, float[] db, int dbOff) {
    for (int i = 0; i < n; i++) {
      for (int ch = 0; ch < c; ch++) {
        int o = dyOff + (i * c + ch) * plane;
        float s = 0;
        for (int j = 0; j < plane; j++) {
          s += dy[o + j];
        }
        db[dbOff + ch] += s;
      }
    }
  }

  /** Images in parallel when there are enough to go round; otherwise one by one with GEMM parallel inside. */
  private static void eachImage(int n, IntConsumer image) {
    if (n >= Parallel.threads()) {
      Parallel.forRange(n, (lo, hi, t) -> {
        for (int i = lo; i < hi; i++) {
          image.accept(i);
        }
      });
    } else {
      for (int i = 0; i < n; i++) {
        image.accept(i);
      }
    }
  }

  /** Output rows per im2col block, so that one block holds about BLOCK_FLOATS floats. */
  private static int blockRows(ConvGeom g) {
    return Math.max(1, Math.min(g.p(), BLOCK_FLOATS / Math.max(1, g.colRows() * g.q())));
  }

  /** One image's forward by im2col and GEMM; with packedW (see {@link #packedWeights}) A is read from it. */
  private static void forwardImage(float[] x, int xOff, float[] w, int wOff, float[] packedW, float[] y, int yOff,
      ConvGeom g, int i) {
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    int rows = blockRows(g);
    int size = Gemm.packedSizeA(g.kg(), g.colRows());
    for (int gi = 0; gi < g.groups(); gi++) {
      int xg = xOff + (i * g.c() + gi * g.cg()) * hw;
      int wg = wOff + gi * g.kg() * g.colRows();
      int yg = yOff + (i * g.k() + gi * g.kg()) * pq;
      if (g.isPointwise() && packedW != null) {
        Gemm.gemmPackedA(false, g.kg(), pq, g.cg(), packedW, gi * size, x, xg, hw, y, yg, pq);
        continue;
      }
      if (g.isPointwise()) {
        Gemm.gemm(false, false, g.kg(), pq, g.cg(), 1f, w, wg, g.cg(), x, xg, hw, 0f, y, yg, pq);
        continue;
      }
      for (int p0 = 0; p0 < g.p(); p0 += rows) {
        int p1 = Math.min(g.p(), p0 + rows);
        int cols = (p1 - p0) * g.q();
        float[] col = Scratch.floats(Scratch.COLUMNS, g.colRows() * Gemm.packedPanels(cols) * Gemm.NR);
        Im2col.unfoldPacked(x, xg, g, p0, p1, col);
        if (packedW != null) {
          Gemm.gemmPackedA(false, g.kg(), cols, g.colRows(), packedW, gi * size, col, 0, -1, y, yg + p0 * g.q(), pq);
        } else {
          Gemm.gemmPackedB(false, g.kg(), cols, g.colRows(), 1f, w, wg, g.colRows(), col, 0, 0f, y, yg + p0 * g.q(),
              pq);
        }
      }
    }
  }

  /**
   * One image's dx through im2col: cols = W^T dy a block of output rows at a time, folded back onto dx. wt: W^T
   * packed by groups ({@link #packedOrScratch}) once for all the images, not by GEMM again for each block of each
   * image: one Xeon thread, backward data, ResNet-20's stride-2 layers 16 -> 32 (32x32 b128) 69.3-70.0 GFLOP/s
   * against 61.9-65.4 and 32 -> 64 (16x16 b128) 67.4-67.7 against 46.1-50.7, JVMs alternating; two threads 1.0-1.2x
   * and 1.25-1.45x.
   */
  private static void backwardInputImage(float[] dy, int dyOff, float[] wt, float[] dx, int dxOff, ConvGeom g,
      int i) {
    int hw = g.h() * g.w();
    int size = Gemm.packedSizeA(g.colRows(), g.kg());
    int pq = g.p() * g.q();
    int rows = blockRows(g);
    // A column stride of 2 folds into the column phases of dx, which then overwrite it (Im2col.foldAddPhases),
    // where output rows hold a vector or more: one thread, 3x3 s2 16->32 32x32 b128 (ResNet-20) 48.5-50.4 GFLOP/s
    // against 35.4-35.9, the 7x7 s2 stem at 224 79 against 63-64 (AMD EPYC); on 8-wide outputs (32->64 16x16)
    // the adds and the merge went one float at a time: 34.8 against 40.3-40.7.
    boolean phased = g.strideW() == 2 && !g.isPointwise() && Simd.AVAILABLE && g.q() >= Simd.LANES;
    if (!g.isPointwise() && !phased) {
      Arrays.fill(dx, dxOff + i * g.c() * hw, dxOff + (i + 1) * g.c() * hw, 0f);
    }
    Im2col.PhaseRows layout = phased ? Im2col.PhaseRows.of(g) : null;
    for (int gi = 0; gi < g.groups(); gi++) {
      int xg = dxOff + (i * g.c() + gi * g.cg()) * hw;
      int yg = dyOff + (i * g.k() + gi * g.kg()) * pq;
      if (g.isPointwise()) {
        Gemm.gemmPackedA(false, g.cg(), pq, g.kg(), wt, gi * size, dy, yg, pq, dx, xg, hw);
        continue;
      }
      float[] ph = phased ? Scratch.floats(Scratch.PADDED, layout.size()) : null;
      if (phased) {
        Arrays.fill(ph, 0, layout.size(), 0f);
      }
      for (int p0 = 0; p0 < g.p(); p0 += rows) {
        int p1 = Math.min(g.p(), p0 + rows);
        int cols = (p1 - p0) * g.q();
        float[] col = Scratch.floats(Scratch.COLUMNS, g.colRows() * cols);
        Gemm.gemmPackedA(false, g.colRows(), cols, g.kg(), wt, gi * size, dy, yg + p0 * g.q(), pq, col, 0, cols);
        if (phased) {
          Im2col.foldAddPhases(col, g, p0, p1, ph, layout);
        } else {
          Im2col.foldAdd(col, g, p0, p1, dx, xg);
        }
      }
      if (phased) {
        Im2col.mergePhases(ph, g, layout, dx, xg);
      }
    }
  }

  private static void weightsImage(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g,
      int i) {
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    int rows = blockRows(g);
    for (int gi = 0; gi < g.groups(); gi++) {
      int xg = xOff + (i * g.c() + gi * g.cg()) * hw;
      int wg = dwOff + gi * g.kg() * g.colRows();
      int yg = dyOff + (i * g.k() + gi * g.kg()) * pq;
      for (int p0 = 0; p0 < g.p(); p0 += rows) {
        int p1 = Math.min(g.p(), p0 + rows);
        int cols = (p1 - p0) * g.q();
        float[] col = Scratch.floats(Scratch.COLUMNS, g.colRows() * cols);
        Im2col.unfold(x, xg, g, p0, p1, col);
        Gemm.gemm(false, true, g.kg(), g.colRows(), cols, 1f, dy, yg + p0 * g.q(), pq, col, 0, cols, 1f, dw, wg,
            g.colRows());
      }
    }
  }
}
