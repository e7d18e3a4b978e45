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
   * thread; the default for the small planes neither the matrices nor the shifts take).
   */
  DEPTHWISE_LANES("depthwise-lanes"),
  /**
   * Depthwise, whole planes per vector, each class of taps a whole plane apart one lane rotation in registers
   * ({@link DepthwiseShifts}; stride 1, "same" output, planes of up to a vector; the default for planes several
   * to a vector).
   */
  DEPTHWISE_SHIFTS("depthwise-shifts"),
  /**
   * Depthwise, each channel a dense matrix between planes of one vector, swept by columns or rows ({@link
   * DepthwiseMatrix}; forward when the output plane is a vector or several channels' planes fill one, backward data
   * likewise with the input plane, weight gradients when either plane is a vector; the default where {@link
   * DepthwiseMatrix#pays}).
   */
  DEPTHWISE_MATRIX("depthwise-matrix"),
  /** Depthwise, rows streamed through padded row buffers ({@link DepthwiseRows}; undilated). */
  DEPTHWISE_ROWS("depthwise-rows"),
  /** Depthwise, tap by tap ({@link DepthwiseReference}; any dilation). */
  DEPTHWISE_TAPS("depthwise-taps"),
  /**
   * Winograd F(2x2, 3x3): 16 GEMMs on transformed tiles ({@link WinogradConv}; 3x3 stride 1; weight gradients up
   * to 64 x 64 channels, {@link WinogradConv#supportsWeights}).
   */
  WINOGRAD("winograd"),
  /**
   * Winograd F(4x4, 3x3) and F(4x4, 5x5): 36 or 64 GEMMs on transformed tiles ({@link WinogradConv}; stride 1;
   * weight gradients up to 40 x 40 and 32 x 32 channels).
   */
  WINOGRAD_4X4("winograd-4x4"),
  /** Through the FFT ({@link FftConv2d}; stride 1, undilated, one group); tried for kernels of 5x5 and up. */
  FFT("fft");

  /** The three passes of a convolution. */
  public enum Pass {
    FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS
  }

  /**
   * Whether the heuristic takes Winograd: F(4x4, .) for 5x5 and 3x3 layers with enough channels on planes large
   * enough ({@link #winograd4x4Pays}), F(2x2, 3x3) for other 3x3 layers of 64 channels and more ({@link
   * #winogradPays}). {@code -Dsparkcnn.winograd=false} keeps the implicit GEMM, the baseline the figures compare
   * against.
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

  /**
   * The weight gradient by F(2x2, 3x3) ({@link WinogradConv#backwardWeights}) on 32 to 64 channels, in and out,
   * on planes at least 32 wide. Measured on one thread of the AMD EPYC (Zen 4) against the implicit GEMM, in
   * direct-convolution GFLOP/s, alternating: 64 channels 56x56 b8 (ResNet-18's first stage) 100-102 against
   * 82-88, b32 107-120 against 88; 64 on 32x32 b64 97-105 against 85; 32 on 32x32 b32 81-83 against 72-74, b128
   * 92-99 against 75-76; 32 on 112x112 b8 100-110 against 83. Smaller planes waste more of their tiles at the
   * edges and lose or tie: 32 channels 16x16 b128 (ResNet-20's second stage) 68-71 against 68 (a `bench` run:
   * 64 against 70), 64 on 28x28 b8 75-76 against 78-83, 32 on 8x8 31 against 53. So do 16 channels, whose
   * transforms outweigh the products (32x32 b128: 60-62 against 65-70). F(4x4, 3x3)'s weight gradient (48-58 on
   * these layers) stays a candidate of the tuner only.
   */
  private static boolean winogradWeightsPay(ConvGeom g) {
    // Measured with AVX-512's 16 lanes only: GemmNT's tile keeps 21 vectors live, past AVX2's 16 registers.
    return Simd.AVAILABLE && Simd.LANES >= 16 && Math.min(g.c(), g.k()) >= 32 && Math.max(g.c(), g.k()) <= 64
        && Math.min(g.p(), g.q()) >= 32;
  }

  /**
   * F(4x4, .) on 5x5 filters of 16 channels and more on planes at least 14 wide, and on 3x3 filters of 32 channels
   * and more on planes at least 16 wide. Measured forward on one thread of the AMD EPYC (Zen 4), in direct-
   * convolution GFLOP/s against the implicit GEMM / F(2x2, 3x3): 5x5 32->64 14x14 b128 (tf_convnet) 151 against
   * 62-76; 5x5 64->192 27x27 b8 (AlexNet) 213 against 72; 5x5 16->32 28x28 124 against 77, but 6->16 (LeNet) 74
   * against 72; 3x3 64 channels 56x56 180 against 93 / 122; 128 28x28 201 against 91 / 136; 256 28x28 141 against
   * 79. Smaller planes lose to F(2x2, 3x3) or the implicit GEMM: the tile rows' dropped last tile and the plane's
   * edge tiles waste more of a 4x4 tile (256 14x14: 110 against 130 for F(2x2, 3x3); 64 8x8: 83 against 91; 512
   * 7x7: 53 against 73; 32 8x8: 43 against 50 implicit), and so do 16 channels (32x32: 63, a tie with the implicit
   * GEMM). 32 channels on 16x16 (ResNet-20's second stage) won alone (96 against 75; `bench` 0.80-0.82 of peak
   * against 0.61-0.62) but not in training while the JIT's trap limit sent some runs to the Vector API's fallback;
   * with the limit raised, ResNet-20 trained 451-460 images/s on two cores with it against 425-434 without (one
   * core 240-243 against 223-229, two alternating pairs), so that stage takes it.
   */
  private static boolean winograd4x4Pays(ConvGeom g) {
    int plane = Math.min(g.p(), g.q());
    int channels = Math.min(g.c(), g.k());
    return g.r() == 5 ? channels >= 16 && plane >= 14 : channels >= 32 && plane >= 16;
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
      case DEPTHWISE_SHIFTS -> depthwise && DepthwiseShifts.applies(g);
      case DEPTHWISE_MATRIX -> depthwise && DepthwiseMatrix.applies(g, pass);
      case DEPTHWISE_TAPS -> depthwise;
      case WINOGRAD -> pass == Pass.BACKWARD_WEIGHTS ? WinogradConv.F2.supportsWeights(g) : WinogradConv.F2.supports(g);
      case WINOGRAD_4X4 -> pass == Pass.BACKWARD_WEIGHTS ? WinogradConv.F4.supportsWeights(g)
          : WinogradConv.F4.supports(g);
      case FFT -> FftConv2d.supports(g) && g.r() >= 5 && g.s() >= 5;
    };
  }

  /**
   * What runs when nothing was timed: pointwise layers batch their images into one GEMM (one image has nothing to
   * batch); depthwise passes whose plane is exactly one vector sweep a matrix per channel, and strided forwards
   * onto planes several to a vector at batch 32 and more a matrix per group of channels ({@link
   * DepthwiseMatrix#pays}), stride-1 layers with several whole planes per vector permute them in registers ({@link
   * DepthwiseShifts}), other small planes put their channels across vector lanes ({@link DepthwiseLanes#pays}),
   * others run on flattened planes when their padding is within the filter and their padded
   * plane fits in L1, or their filter is swept ({@link DepthwiseSweep}: 3x3 and 5x5, any plane size, measured
   * 1.2-2.3x faster than the rows on 112x112 planes), or for a strided layer's backward-data pass (which
   * interleaves its stride phases a vector at a time there and one float at a time in the rows); other filters'
   * larger planes stream rows, which keep their working set in L1; 5x5 and 3x3 stride-1 layers with enough
   * channels use Winograd F(4x4, .) on planes large enough for its tiles, and other 3x3 ones of 64 channels and
   * more F(2x2, 3x3) ({@link #WINOGRAD_BY_DEFAULT}), forward and backward-data; weight gradients take F(2x2, 3x3)
   * at 32 to 64 channels on planes 32 wide and more ({@link #winogradWeightsPay}); other stride-1 layers use the
   * implicit GEMM, and so do
   * strided ones where {@link ImplicitConv#stridedPays}; the rest im2col. Measured over the zoo's layers on the
   * development machines, and deterministic.
   */
  public static ConvAlgorithm heuristic(ConvGeom g, Pass pass) {
    if (g.isPointwise() && g.n() > 1) {
      return POINTWISE_BATCHED;
    }
    boolean strided = g.strideH() > 1 || g.strideW() > 1;
    if (DEPTHWISE_MATRIX.supports(g, pass) && DepthwiseMatrix.pays(g, pass)) {
      return DEPTHWISE_MATRIX;
    }
    if (DEPTHWISE_SHIFTS.supports(g, pass)) {
      return DEPTHWISE_SHIFTS;
    }
    if (DEPTHWISE_LANES.supports(g, pass) && DepthwiseLanes.pays(g)) {
      return DEPTHWISE_LANES;
    }
    if (DEPTHWISE_PLANES.supports(g, pass)
        && (DepthwisePlanes.fitsL1(g) || DepthwisePlanes.swept(g)
            || (pass == Pass.BACKWARD_DATA && strided))) {
      return DEPTHWISE_PLANES;
    }
    if (WINOGRAD_BY_DEFAULT && pass != Pass.BACKWARD_WEIGHTS && WINOGRAD_4X4.supports(g, pass)
        && winograd4x4Pays(g)) {
      return WINOGRAD_4X4;
    }
    if (WINOGRAD_BY_DEFAULT && WINOGRAD.supports(g, pass)
        && (pass == Pass.BACKWARD_WEIGHTS ? winogradWeightsPay(g) : winogradPays(g))) {
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
