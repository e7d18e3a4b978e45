package sparkcnn.kernels;

/**
 * The ways {@link Conv2dKernels} can compute a convolution pass. Every one gives the same result up to float
 * rounding; which is fastest depends on the geometry and the machine, so {@link ConvTuner} can time them.
 */
public enum ConvAlgorithm {
  /**
   * GEMM reading the zero-padded image (split into its stride phases when strided) in place through per-tap offsets
   * ({@link ImplicitConv}; strided backward data as one such GEMM per stride phase of dx, {@link
   * StridedBackwardData}, where the phases' padding comes out non-negative).
   */
  IMPLICIT_GEMM("implicit-gemm"),
  /** im2col of L2-sized blocks of output rows, then GEMM (any geometry; 1x1 stride 1: GEMM on the image). */
  IM2COL_GEMM("im2col-gemm"),
  /** Pointwise, the images of a run side by side as the columns of one GEMM ({@link PointwiseBatched}). */
  POINTWISE_BATCHED("pointwise-batched"),
  /** Depthwise, whole padded planes flattened into one run per tap ({@link DepthwisePlanes}). */
  DEPTHWISE_PLANES("depthwise-planes"),
  /**
   * Depthwise, one channel per vector lane ({@link DepthwiseLanes}; any geometry whose padded frame fits 16 MB per
   * thread; the default for small planes).
   */
  DEPTHWISE_LANES("depthwise-lanes"),
  /** Depthwise, rows streamed through padded row buffers ({@link DepthwiseRows}; undilated). */
  DEPTHWISE_ROWS("depthwise-rows"),
  /** Depthwise, tap by tap ({@link DepthwiseReference}; any dilation). */
  DEPTHWISE_TAPS("depthwise-taps"),
  /** Winograd F(2x2, 3x3): 16 GEMMs on transformed tiles ({@link WinogradConv}; 3x3 stride 1; not weights). */
  WINOGRAD("winograd"),
  /** Through the FFT ({@link FftConv2d}; stride 1, undilated, one group); tried for kernels of 5x5 and up. */
  FFT("fft");

  /** The three passes of a convolution. */
  public enum Pass {
    FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS
  }

  /**
   * Whether the heuristic takes Winograd for 3x3 layers of 64 channels and more ({@link #winogradPays}), where it
   * measured 1.1-3.4 times the implicit GEMM's speed in forward and backward-data, on planes from 56 down to 2
   * wide. With fewer channels its transforms cost about what its GEMMs save (32 channels: a tie; 16: slower).
   * {@code -Dsparkcnn.winograd=false} keeps the implicit GEMM, the baseline the figures compare against.
   */
  static final boolean WINOGRAD_BY_DEFAULT = !"false".equals(System.getProperty("sparkcnn.winograd"));

  /**
   * 64 channels and more, in and out, on outputs at least 2x2 (1x1 was not measured). Measured on one thread of
   * the AMD EPYC (best of runs, against the implicit GEMM): 64 channels 1.1x on 4x4 planes, 1.3x on 8x8
   * (ResNet-20's last stage), 1.16x on 14x14; 128 on 8x8 1.6x; 256 on 7x7 1.25x and on 4x4 1.7x; 512 on 2x2
   * 3.1-3.4x. An earlier rule also asked for planes 14 or 28 wide, from measurements before the eight-row tile.
   */
  private static boolean winogradPays(ConvGeom g) {
    return Math.min(g.c(), g.k()) >= 64 && Math.min(g.p(), g.q()) >= 2;
  }

  private final String label;

  ConvAlgorithm(String label) {
    this.label = label;
  }

  /** The short name summary and bench print. */
  public String label() {
    return label;
  }

  /** Whether this algorithm can compute the pass of g. */
  public boolean supports(ConvGeom g, Pass pass) {
    boolean depthwise = g.isDepthwise() && !g.isPointwise();
    return switch (this) {
      case IMPLICIT_GEMM -> !depthwise && switch (pass) {
        case FORWARD -> !g.isPointwise();
        case BACKWARD_DATA -> !g.isPointwise() && ImplicitConv.supportsBackwardInput(g);
        case BACKWARD_WEIGHTS -> true;
      };
      case IM2COL_GEMM -> true;
      case POINTWISE_BATCHED -> g.isPointwise();
      case DEPTHWISE_ROWS -> depthwise && DepthwiseRows.applies(g);
      case DEPTHWISE_PLANES -> depthwise && DepthwisePlanes.applies(g);
      case DEPTHWISE_LANES -> depthwise && DepthwiseLanes.applies(g);
      case DEPTHWISE_TAPS -> depthwise;
      case WINOGRAD -> pass != Pass.BACKWARD_WEIGHTS && WinogradConv.supports(g);
      case FFT -> FftConv2d.supports(g) && g.r() >= 5 && g.s() >= 5;
    };
  }

  /**
   * What runs when nothing was timed: pointwise layers batch their images into one GEMM (one image has nothing to
   * batch); depthwise layers on small planes put their channels across vector lanes ({@link DepthwiseLanes#pays}),
   * others run on flattened planes when their padding is within the filter and their padded
   * plane fits in L1, or their filter is swept ({@link DepthwiseSweep}: 3x3 and 5x5, any plane size, measured
   * 1.2-2.3x faster than the rows on 112x112 planes), or for a strided layer's backward-data pass (which
   * interleaves its stride phases a vector at a time there and one float at a time in the rows); other filters'
   * larger planes stream rows, which keep their working set in L1; 3x3 stride-1 layers of 64 channels and more on
   * planes at least 2 wide use Winograd
   * ({@link #WINOGRAD_BY_DEFAULT}); other stride-1 layers use the implicit GEMM, and so do strided ones where
   * {@link ImplicitConv#stridedPays}; the rest im2col. Measured over
   * the zoo's layers on the development machines, and deterministic.
   */
  public static ConvAlgorithm heuristic(ConvGeom g, Pass pass) {
    if (g.isPointwise() && g.n() > 1) {
      return POINTWISE_BATCHED;
    }
    boolean strided = g.strideH() > 1 || g.strideW() > 1;
    if (DEPTHWISE_LANES.supports(g, pass) && DepthwiseLanes.pays(g)) {
      return DEPTHWISE_LANES;
    }
    if (DEPTHWISE_PLANES.supports(g, pass)
        && (DepthwisePlanes.fitsL1(g) || DepthwiseSweep.applies(g.r(), g.s(), g.strideH())
            || (pass == Pass.BACKWARD_DATA && strided))) {
      return DEPTHWISE_PLANES;
    }
    if (WINOGRAD_BY_DEFAULT && WINOGRAD.supports(g, pass) && winogradPays(g)) {
      return WINOGRAD;
    }
    for (ConvAlgorithm a : new ConvAlgorithm[] {DEPTHWISE_ROWS, DEPTHWISE_TAPS}) {
      if (a.supports(g, pass)) {
        return a;
      }
    }
    return IMPLICIT_GEMM.supports(g, pass) && (!strided || ImplicitConv.stridedPays(g, pass)) ? IMPLICIT_GEMM
        : IM2COL_GEMM;
  }
}
