package sparkcnn.kernels;

/**
 * The ways {@link Conv2dKernels} can compute a convolution pass. Every one gives the same result up to float
 * rounding; which is fastest depends on the geometry and the machine, so {@link ConvTuner} can time them.
 */
public enum ConvAlgorithm {
  /**
   * GEMM reading the zero-padded image (split into its stride phases when strided) in place through per-tap offsets
   * ({@link ImplicitConv}; backward data at stride 1 only).
   */
  IMPLICIT_GEMM("implicit-gemm"),
  /** im2col of L2-sized blocks of output rows, then GEMM (any geometry; 1x1 stride 1: GEMM on the image). */
  IM2COL_GEMM("im2col-gemm"),
  /** Pointwise, the images of a run side by side as the columns of one GEMM ({@link PointwiseBatched}). */
  POINTWISE_BATCHED("pointwise-batched"),
  /** Depthwise, whole padded planes flattened into one run per tap ({@link DepthwisePlanes}). */
  DEPTHWISE_PLANES("depthwise-planes"),
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
   * Whether the heuristic takes Winograd for 3x3 layers of many channels on planes not too narrow
   * ({@link #winogradPays}: ResNet's and VGG's first stages at 224), where it measured 1.2-1.6 times the implicit
   * GEMM's speed. With fewer channels its transforms cost about what its GEMMs save, and narrow planes waste
   * tiles. {@code -Dsparkcnn.winograd=false} keeps the implicit GEMM, the baseline the figures compare against.
   */
  static final boolean WINOGRAD_BY_DEFAULT = !"false".equals(System.getProperty("sparkcnn.winograd"));

  /** 128 channels and more on planes 14 wide and wider, or 64 and more on planes 28 wide and wider. */
  private static boolean winogradPays(ConvGeom g) {
    int channels = Math.min(g.c(), g.k());
    return channels >= 128 && g.q() >= 14 || channels >= 64 && g.q() >= 28;
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
      case DEPTHWISE_TAPS -> depthwise;
      case WINOGRAD -> pass != Pass.BACKWARD_WEIGHTS && WinogradConv.supports(g);
      case FFT -> FftConv2d.supports(g) && g.r() >= 5 && g.s() >= 5;
    };
  }

  /**
   * What runs when nothing was timed: pointwise layers batch their images into one GEMM (one image has nothing to
   * batch); depthwise layers run on flattened planes when their padding is within the filter and their padded
   * plane fits in L1, or for a strided layer's backward-data pass (which interleaves its stride phases a vector
   * at a time there and one float at a time in the rows); larger planes stream rows, which keep their working
   * set in L1; 3x3 stride-1 layers of many channels on planes not too narrow use Winograd
   * ({@link #WINOGRAD_BY_DEFAULT}); other stride-1 layers use the implicit GEMM, and so do strided ones where
   * {@link ImplicitConv#stridedPays} (not backward data); the rest im2col. Measured over
   * the zoo's layers on the development machines, and deterministic.
   */
  public static ConvAlgorithm heuristic(ConvGeom g, Pass pass) {
    if (g.isPointwise() && g.n() > 1) {
      return POINTWISE_BATCHED;
    }
    boolean strided = g.strideH() > 1 || g.strideW() > 1;
    if (DEPTHWISE_PLANES.supports(g, pass)
        && (DepthwisePlanes.fitsL1(g) || (pass == Pass.BACKWARD_DATA && strided))) {
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
