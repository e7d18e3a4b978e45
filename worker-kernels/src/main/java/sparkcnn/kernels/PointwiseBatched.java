package sparkcnn.kernels;

/**
 * Pointwise (1x1, stride 1, unpadded) convolution as GEMMs over many images at once: the planes of a run of images
 * are laid side by side as the columns of one (channels, images x H x W) matrix.
 *
 * <p>Why: one GEMM per image is wasteful when planes are small, as in the last stages of MobileNet and EfficientNet
 * (2x2 to 8x8). Its register tiles are mostly edge padding (a 2x2 plane fills 4 of a tile's 16 or 32 columns), it
 * repacks the weights for every image, and the weight gradient's inner dimension is one plane, so each tile loads
 * and stores its accumulators after a handful of FMAs. Batched, the columns number images x H x W and the weights are
 * packed once per call; the runs are shared out between threads, each gathering, multiplying and scattering its
 * own (with fewer images than threads, GEMM shares out each run). The price is one copy of the input and one of the
 * output through scratch, so planes of {@link #DIRECT_PLANE} and more go one image a run, and every run of one
 * image (also a batch smaller than the threads, or a batch shared out one image a thread) is written by GEMM
 * straight into the output.
 */
final class PointwiseBatched {
  /**
   * Floats of the larger gathered operand per run of images: L2's size (256 K floats on a 1 MB L2), so the
   * GEMM's output block is still in cache when it is scattered back (a run of 960-channel 2x2 planes is still 272
   * columns). Measured on MobileNet-v2's 64x64 layers (one AMD EPYC thread, batch 64, two runs each) against 4 MB
   * runs: 16x16 and 8x8 planes 1.1-1.15x forward, 1.0-1.15x backward data, 1.1-1.35x weight gradient; 2x2 planes
   * with 960 channels, one run either way, alike; 576 -> 160 on 4x4 at batch 32, now two runs, 1.2x weight
   * gradient but 0.92x backward data.
   */
  private static final long BLOCK_FLOATS = Math.max(1 << 16, CacheSizes.l2() / 4);
  /**
   * Planes at least this long are read in place by the weight gradient: each image's sweep then outweighs the
   * load and store of the accumulators it adds to (a 512-pixel sweep is 512 FMAs per tile against 32 of those).
   */
  private static final int IN_PLACE_PLANE = 512;

  /**
   * Planes at least this long go one image a run, which GEMM writes straight into the output ({@link #intoImage}):
   * the copies through scratch then cost more than batching the images saves. Measured one AMD EPYC thread, in
   * one JVM alternating with the runs of images, forward / backward data: 28x28 planes at batch 16, 24 -> 144
   * 1.1x / 1.13x and 144 -> 24 1.1x / 1.16x; 16x16 (32 -> 192, batch 64) 1.09x / 1.03x; but 14x14 (96 -> 576 and
   * back, batch 32) 0.9-0.95x.
   */
  private static final int DIRECT_PLANE = 256;

  private PointwiseBatched() {}

  /**
   * y = act(w x + b) per image and group ({@link Epilogue}), applied to each plane as it is copied out of scratch
   * (or to each band {@link #intoImage} writes), while it is in cache, instead of in a pass of its own over y: with
   * a bias, measured 1.1-1.25x on 24 -> 144 and 144 -> 24 56x56 b8 and 16 -> 96 112x112 b8, one thread, in one JVM
   * alternating (with the copy out of scratch then).
   */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] packedW, Epilogue epilogue, float[] y,
      int yOff, ConvGeom g) {
    byWeights(false, x, xOff, g.c(), g.cg(), null, 0, w, wOff, packedW, epilogue, y, yOff, g.k(), g.kg(), g);
  }

  /**
   * y = act(w (x s) + b) per image, s the image's input-channel gates (gates[gOff + i C + c]): a squeeze-and-
   * excitation gate applied through the 1x1 convolution after it, without a gated copy of x. Runs of one image
   * scale a copy of the packed weights' columns (K C multiplies an image) instead of the input's planes (C H W)
   * where the weights are the smaller; runs of several scale each plane as it is gathered, a copy they make anyway.
   */
  static void forwardGated(float[] x, int xOff, float[] gates, int gOff, float[] w, int wOff, float[] packedW,
      Epilogue epilogue, float[] y, int yOff, ConvGeom g) {
    byWeights(false, x, xOff, g.c(), g.cg(), gates, gOff, w, wOff, packedW, epilogue, y, yOff, g.k(), g.kg(), g);
  }

  /**
   * dst[0, size) = the packed weights at packed[from] (size floats of k-step columns, panels of {@link Gemm#MR}
   * rows) with column p times s[sOff + p].
   */
  private static void scaleColumns(float[] packed, int from, int size, int k, float[] s, int sOff, float[] dst) {
    int mr = Gemm.MR;
    for (int o = 0, p = 0; o < size; o += mr) {
      float gate = s[sOff + p];
      for (int r = 0; r < mr; r++) {
        dst[o + r] = packed[from + o + r] * gate;
      }
      p = p + 1 == k ? 0 : p + 1;
    }
  }

  /** dx = w^T dy per image and group (overwrites dx). */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    byWeights(true, dy, dyOff, g.k(), g.kg(), null, 0, w, wOff, null, Epilogue.NONE, dx, dxOff, g.c(), g.cg(), g);
  }

  /**
   * dst = op(w) src per run of images and group, where w is each group's (kg x cg) block and op transposes it
   * for backward-data: src has srcChannels channels (srcPerGroup a group), dst dstChannels (dstPerGroup). op(w)
   * packed already (forward only: {@link Conv2dKernels#packedWeights}) when packedW is not null.
   */
  private static void byWeights(boolean transW, float[] src, int srcOff, int srcChannels, int srcPerGroup,
      float[] gates, int gOff, float[] w, int wOff, float[] packedW, Epilogue epilogue, float[] dst, int dstOff,
      int dstChannels, int dstPerGroup, ConvGeom g) {
    int pq = g.p() * g.q();
    int runs = pq >= DIRECT_PLANE ? g.n() : runs(g.n(), (long) Math.max(g.cg(), g.kg()) * pq, BLOCK_FLOATS);
    // Planes of whole packed panels are gathered straight into GEMM's packed form (see gatherPacked); others, cut
    // by the panels into short pieces, measured 0.9-0.95x that way (960 -> 160 on 7x7 and 2x2 planes).
    boolean packs = Simd.AVAILABLE && pq % Gemm.NR == 0;
    // Each group's op(w) packed once for all the runs, not by GEMM again for every run: packing the weights was
    // 5% of efficientnet_b0's scoring at 224 (its 7x7 to 28x28 layers take two to five images a run).
    int size = Gemm.packedSizeA(dstPerGroup, srcPerGroup);
    float[] weights = Conv2dKernels.packedOrScratch(packedW, transW, g.groups(), dstPerGroup, srcPerGroup, w, wOff);
    // Runs side by side, one per thread, each gathering, multiplying (GEMM inline) and scattering its own images:
    // with GEMM alone sharing out each run, the copies stayed on the calling thread and two threads ran forward and
    // backward data 0.85-1.2x one thread (24 -> 144 on 56x56 b8, 16 -> 96 on 32x32 b32). With fewer images than
    // threads (batch 1), the runs go in turn and GEMM shares out each.
    int threads = Parallel.chunks(Integer.MAX_VALUE);
    boolean sideBySide = threads > 1 && g.n() >= threads;
    int count = sideBySide ? sharedRuns(g.n(), runs, threads) : runs;
    Parallel.RangeBody body = (lo, hi, t) -> {
      for (int item = lo; item < hi; item++) {
        int run = item / g.groups();
        int gi = item % g.groups();
        int i0 = runStart(g.n(), count, run);
        int images = runStart(g.n(), count, run + 1) - i0;
        int cols = images * pq;
        // Gated runs of one image scale the weights (K C floats) where they are no larger than the planes (C H W);
        // else the planes, gathered as for a run of several (at batch 1, 7x7 planes of 1152 channels into 192).
        if (images == 1 && (gates == null || dstPerGroup <= pq)) {
          // GEMM writes the image's planes in place, B gathered into packed panels band by band, or read in place.
          // Gated, from the group's weights scaled by the gates of the image's channels in the group.
          float[] wi = weights;
          int wiOff = gi * size;
          if (gates != null) {
            wi = Scratch.floats(Scratch.GATED_W, size);
            wiOff = 0;
            scaleColumns(weights, gi * size, size, srcPerGroup, gates, gOff + i0 * srcChannels + gi * srcPerGroup,
                wi);
          }
          intoImage(src, srcOff + (i0 * srcChannels + gi * srcPerGroup) * pq, packs, wi, wiOff, srcPerGroup,
              dstPerGroup, pq, gi * dstPerGroup, epilogue, dst, dstOff + (i0 * dstChannels + gi * dstPerGroup) * pq);
          continue;
        }
        float[] in = packs ? Scratch.lineAligned(Scratch.COLUMNS, srcPerGroup * Gemm.packedPanels(cols) * Gemm.NR)
            : Scratch.floats(Scratch.COLUMNS, srcPerGroup * cols);
        float[] out = Scratch.floats(Scratch.PADDED, dstPerGroup * cols);
        if (packs) {
          int at = CacheLines.start(in);
          gatherPacked(src, srcOff, srcChannels, gi * srcPerGroup, srcPerGroup, i0, images, pq, gates, gOff, in,
              at);
          Gemm.gemmPackedA(false, dstPerGroup, cols, srcPerGroup, weights, gi * size, in, at, -1, out, 0, cols);
        } else {
          gather(src, srcOff, srcChannels, gi * srcPerGroup, srcPerGroup, i0, images, pq, gates, gOff, in);
          Gemm.gemmPackedA(false, dstPerGroup, cols, srcPerGroup, weights, gi * size, in, 0, cols, out, 0, cols);
        }
        scatter(out, dstChannels, gi * dstPerGroup, dstPerGroup, i0, images, pq, epilogue, dst, dstOff);
      }
    };
    if (sideBySide) {
      Parallel.forRange(count * g.groups(), body);
    } else {
      body.run(0, count * g.groups(), 0);
    }
  }

  /**
   * One image's group: dst's rows (channels c0 .. c0 + rows, each a plane of pq floats from to) = the packed
   * weights times B (k planes of pq floats from src[from]), written by GEMM straight into the image's planes a band
   * of columns at a time, each band through the epilogue while it is in cache. B's band is gathered into packed
   * panels first where packs (whole panels), else GEMM reads it in place. An image's planes are one matrix already,
   * and the copy out of scratch was a pass over memory of its own. Measured one AMD EPYC thread, in one JVM
   * alternating with the copy, forward (with a bias) / backward data, batch 8: 24 -> 144 56x56 1.26x / 1.04x,
   * 144 -> 24 1.04x / 1.28x, 16 -> 96 112x112 1.35x / 1.05x; two threads, 24 -> 144 forward 1.15-1.3x and 144 -> 24
   * backward data 1.2x. There, output bands of an eighth of L2 or less ran slower than the copy (a GEMM call per
   * band); the bands the input bounds (below) were measured on the Xeon. With fewer images than threads each band's
   * GEMM is shared out between them and the epilogue runs on the calling thread, as the copy did (not measured
   * apart).
   *
   * <p>A band's output and its packed B each fill at most half of L2. B was gathered for the whole image first, and
   * at 144 channels of 56x56 (1.8 MB packed) GEMM read it back from beyond L2: the gather was 44% of the 144 -> 24
   * forward and the tiles ran at a third of peak. Band by band, one Xeon thread, batch 8, two runs each in JVMs
   * alternating with the whole-image gather, GFLOP/s, forward (with a bias): 144 -> 24 56x56 88.5-89.8 against
   * 75.1-78.2, 256 -> 64 121.1-127.1 against 108.2-108.3, 16 -> 96 112x112 72.6-72.9 against 62.4-64.2, 32 -> 16
   * 112x112 55.9-59.9 against 50.1-52.0, 24 -> 144 level; backward data: 24 -> 144 92.2-94.2 against 80.5-86.0,
   * 16 -> 96 64.6-66.8 against 51.0-51.6, 144 -> 24 and 256 -> 64 level. Two threads: 144 -> 24 forward 172-184
   * against 140-146, 24 -> 144 backward data 188-191 against 168.
   */
  private static void intoImage(float[] src, int from, boolean packs, float[] weights, int wOff, int k, int rows,
      int pq, int c0, Epilogue epilogue, float[] dst, int to) {
    // Input-bound bands no narrower than eight panels: past a thousand input channels they would shrink to a panel
    // or two, a GEMM call each (not measured; the widest input measured is 256 channels).
    int band = Math.min(Gemm.halfL2Columns(rows), packs ? Math.max(8 * Gemm.NR, Gemm.halfL2Columns(k)) : pq);
    // Scratch for the whole image, as when it was packed whole, though a band uses less: a request that small may
    // not be grown to an array whose line boundaries are known (CacheLines), and the packed panels would lose them.
    float[] packed = packs ? Scratch.lineAligned(Scratch.COLUMNS, k * pq) : null;
    int at = packs ? CacheLines.start(packed) : 0;
    for (int j0 = 0; j0 < pq; j0 += band) {
      int cols = Math.min(band, pq - j0);
      if (packs) {
        packBand(src, from + j0, pq, k, cols, null, 0, packed, at);
        Gemm.gemmPackedA(false, rows, cols, k, weights, wOff, packed, at, -1, dst, to + j0, pq);
      } else {
        Gemm.gemmPackedA(false, rows, cols, k, weights, wOff, src, from + j0, pq, dst, to + j0, pq);
      }
      if (epilogue.any()) {
        for (int r = 0; r < rows; r++) {
          epilogue.apply(dst, to + r * pq + j0, cols, c0 + r);
        }
      }
    }
  }

  /**
   * Columns [0, cols) of channels rows plane floats apart from src[from] into GEMM's packed panels at dst[to]
   * (cols a multiple of {@link Gemm#NR}): panel j holds (c, col) at to + j channels NR + c NR + col % NR.
   */
  private static void packBand(float[] src, int from, int plane, int channels, int cols, float[] scales, int sOff,
      float[] dst, int to) {
    int nr = Gemm.NR;
    for (int c = 0; c < channels; c++) {
      if (scales == null) {
        GemmVectorKernel.copyPanels(cols / nr, src, from + c * plane, dst, to + c * nr, channels * nr);
      } else {
        GemmVectorKernel.scalePanels(cols / nr, src, from + c * plane, scales[sOff + c], dst, to + c * nr,
            channels * nr);
      }
    }
  }

  /**
   * Runs for n images shared out between threads: at least runs (each within the budget), rounded up to a multiple
   * of the threads so that none waits on another's extra run, but at most one an image (3 images on 2 threads: 3).
   */
  static int sharedRuns(int n, int runs, int threads) {
    return Math.min(n, (runs + threads - 1) / threads * threads);
  }

  /**
   * dw += sum over images of dy x^T, per group, as {@link GemmNT} dot products over the pixels where they pay
   * (few channels): read in place from each image's planes when they are long, else over runs of images gathered
   * side by side (a 7x7 plane is shorter than the register tile's sweep is worth). Otherwise GEMM.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    // GEMM transposes both operands here, one float at a time. Measured on MobileNet-v2's 1x1 layers (one thread,
    // AMD EPYC): the dot products ran 1.5-2x faster up to 192 x 64 (a 786 KB accumulator), 1.4-6x slower from
    // 384 x 64 on, whose accumulators pass L2.
    if (!GemmNT.fits(g.kg(), g.cg(), CacheSizes.l2())) {
      backwardWeightsGemm(x, xOff, dy, dyOff, dw, dwOff, g);
      return;
    }
    int pq = g.p() * g.q();
    int[] dyRows = new int[g.kg()];
    int[] xRows = new int[g.cg()];
    GemmNT.Blocks blocks = new GemmNT.Blocks(g.kg(), g.cg());
    for (int gi = 0; gi < g.groups(); gi++) {
      float[] acc = blocks.zeroedAccumulator();
      if (pq >= IN_PLACE_PLANE) {
        for (int i = 0; i < g.n(); i++) {
          GemmNT.evenRows(dyRows, dyOff + (i * g.k() + gi * g.kg()) * pq, pq);
          GemmNT.evenRows(xRows, xOff + (i * g.c() + gi * g.cg()) * pq, pq);
          blocks.accumulate(pq, dy, dyRows, x, xRows, acc);
        }
      } else {
        gatheredRuns(x, xOff, dy, dyOff, gi, g, (cols, xs, dys) -> blocks.accumulate(cols, dys,
            GemmNT.evenRows(dyRows, 0, cols), xs, GemmNT.evenRows(xRows, 0, cols), acc));
      }
      blocks.reduceInto(acc, dw, dwOff + gi * g.kg() * g.cg(), g.cg());
    }
  }

  /** dw += sum over images of dy x^T, per group: one GEMM per run of images, its inner dimension images x H x W. */
  private static void backwardWeightsGemm(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff,
      ConvGeom g) {
    for (int gi = 0; gi < g.groups(); gi++) {
      int dwAt = dwOff + gi * g.kg() * g.cg();
      gatheredRuns(x, xOff, dy, dyOff, gi, g, (cols, xs, dys) -> Gemm.gemm(false, true, g.kg(), g.cg(), cols, 1f,
          dys, 0, cols, xs, 0, cols, 1f, dw, dwAt, g.cg()));
    }
  }

  /** What the weight gradient does with one gathered run: x's and dy's channels of group gi, cols wide. */
  @FunctionalInterface
  private interface GatheredRun {
    void accept(int cols, float[] xs, float[] dys);
  }

  /** Group gi's channels of x and dy, gathered a run of images at a time (see {@link #gather}), to body. */
  private static void gatheredRuns(float[] x, int xOff, float[] dy, int dyOff, int gi, ConvGeom g,
      GatheredRun body) {
    int pq = g.p() * g.q();
    int runs = runs(g.n(), (long) Math.max(g.cg(), g.kg()) * pq, BLOCK_FLOATS);
    for (int run = 0; run < runs; run++) {
      int i0 = runStart(g.n(), runs, run);
      int images = runStart(g.n(), runs, run + 1) - i0;
      int cols = images * pq;
      float[] xs = Scratch.floats(Scratch.COLUMNS, g.cg() * cols);
      float[] dys = Scratch.floats(Scratch.PADDED, g.kg() * cols);
      gather(x, xOff, g.c(), gi * g.cg(), g.cg(), i0, images, pq, null, 0, xs);
      gather(dy, dyOff, g.k(), gi * g.kg(), g.kg(), i0, images, pq, null, 0, dys);
      body.accept(cols, xs, dys);
    }
  }

  /**
   * How many runs n images take: the fewest that keep each run within budget floats at perImage an image (at least
   * one image a run). Their lengths differ by one at most ({@link #runStart}), so no short last run repacks the
   * weights for a handful of columns.
   */
  static int runs(int n, long perImage, long budget) {
    long most = Math.max(1, Math.min(n, budget / Math.max(1, perImage)));
    return (int) ((n + most - 1) / most);
  }

  /** The first image of run r of runs over n images (r = runs gives n). */
  static int runStart(int n, int runs, int r) {
    return (int) ((long) r * n / runs);
  }

  /**
   * dst (channels x images*plane) = channels [c0, c0 + channels) of images [i0, i0 + images) of an NCHW tensor of
   * totalChannels channels, each plane times its gate (gates[gOff + image totalChannels + channel]) unless gates
   * is null.
   */
  private static void gather(float[] src, int srcOff, int totalChannels, int c0, int channels, int i0, int images,
      int plane, float[] gates, int gOff, float[] dst) {
    int cols = images * plane;
    for (int i = 0; i < images; i++) {
      int from = srcOff + ((i0 + i) * totalChannels + c0) * plane;
      for (int c = 0; c < channels; c++) {
        if (gates == null) {
          copy(src, from + c * plane, dst, c * cols + i * plane, plane);
        } else {
          scaledCopy(src, from + c * plane, gates[gOff + (i0 + i) * totalChannels + c0 + c], dst,
              c * cols + i * plane, plane);
        }
      }
    }
  }

  /**
   * {@link #gather} straight into GEMM's packed-B form ({@link Gemm#gemmPackedB}) for planes of whole panels:
   * column j of row c at to + (j / NR) * channels * NR + c * NR + j % NR (to: a cache-line boundary where one is
   * known, {@link Scratch#lineAligned}, so that every piece's stores are whole lines). GEMM would otherwise copy
   * the gathered matrix once more into that form (15% of a 144 -> 24 56x56 forward, JFR); measured 1.1x on
   * 144 -> 24 (56x56 b8, 16x16 b64) forward, one thread, alternating with the copy. Each channel's plane is read in
   * order and its pieces written to their panels, rather than each panel filled from every channel in turn (GEMM's
   * B packing): that read one piece from each of the channels' planes, as many streams as channels (45% of a
   * 144 -> 24 56x56 forward, JFR). Plane by plane measured level on 56x56 planes and 1.05-1.15x on 16 -> 96
   * 112x112, one thread.
   */
  private static void gatherPacked(float[] src, int srcOff, int totalChannels, int c0, int channels, int i0,
      int images, int plane, float[] gates, int gOff, float[] dst, int to) {
    for (int i = 0; i < images; i++) {
      packBand(src, srcOff + ((i0 + i) * totalChannels + c0) * plane, plane, channels, plane, gates,
          gOff + (i0 + i) * totalChannels + c0, dst, to + i * plane * channels);
    }
  }

  /**
   * The inverse of {@link #gather}: writes the rows of src back into the images' channel planes, each plane then
   * passed through the epilogue.
   */
  private static void scatter(float[] src, int totalChannels, int c0, int channels, int i0, int images, int plane,
      Epilogue epilogue, float[] dst, int dstOff) {
    int cols = images * plane;
    boolean any = epilogue.any();
    // On the run's thread (see byWeights): shared out by channels instead it ran 0.8-1.0x (a fork per run).
    for (int i = 0; i < images; i++) {
      int to = dstOff + ((i0 + i) * totalChannels + c0) * plane;
      for (int c = 0; c < channels; c++) {
        copy(src, c * cols + i * plane, dst, to + c * plane, plane);
        if (any) {
          epilogue.apply(dst, to + c * plane, plane, c0 + c);
        }
      }
    }
  }

  /**
   * A plane's copy. The tiny planes this class is for would spend more on an arraycopy call than on the copy, and
   * a plain loop over 4x4 planes took 6% of a MobileNet-v2 step at 64x64 (JFR), so planes of a vector up to 32
   * floats go by vectors: on MobileNet-v2's 4x4 layers (batch 64, one thread) 1.2-1.5x forward, 1.2x backward
   * data, 1.05-1.2x weights. Vectors measured 0.85-1.0x arraycopy on 16x16 planes.
   */
  private static void copy(float[] src, int from, float[] dst, int to, int n) {
    if (n >= 32) {
      System.arraycopy(src, from, dst, to, n);
      return;
    }
    if (Simd.AVAILABLE && n >= Simd.LANES) {
      GemmVectorKernel.copyShort(src, from, dst, to, n);
      return;
    }
    for (int j = 0; j < n; j++) {
      dst[to + j] = src[from + j];
    }
  }

  /** dst[to, to + n) = src[from, from + n) times scale, by vectors where the plane holds one. */
  private static void scaledCopy(float[] src, int from, float scale, float[] dst, int to, int n) {
    int j = Simd.AVAILABLE && n >= Simd.LANES ? GemmVectorKernel.scaleShort(src, from, scale, dst, to, n) : 0;
    for (; j < n; j++) {
      dst[to + j] = src[from + j] * scale;
    }
  }
}
