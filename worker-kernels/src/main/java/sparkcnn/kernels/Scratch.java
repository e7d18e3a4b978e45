package sparkcnn.kernels;

/**
 * Per-thread scratch arrays, grown on first use and reused afterwards: the kernels' workspace. Each
 * slot is one concurrent use on a thread (GEMM's packed panels, an im2col block, a partial weight
 * gradient), so two live buffers never share a slot. Contents are garbage on entry.
 */
public final class Scratch {
  /** GEMM: packed A block. */
  static final int PACK_A = 0;
  /** GEMM: packed B block. */
  static final int PACK_B = 1;
  /** GEMM: an edge tile of C. */
  static final int TILE = 2;
  /** Convolutions: im2col / vol2col columns or their gradient; Winograd's packed filters, then its padded window. */
  static final int COLUMNS = 3;
  /** Convolutions: a per-thread partial weight gradient; Winograd's transform intermediates. */
  static final int PARTIAL = 4;
  /** Convolutions: weights packed once per call. */
  static final int PACKED_W = 5;
  /** Convolutions: flipped, transposed weights of a backward-data pass. */
  static final int FLIPPED_W = 6;
  /** Convolutions: a zero-padded image. */
  static final int PADDED = 7;
  /** Winograd: a block's transformed input tiles. */
  static final int TRANSFORMED_IN = 8;
  /** Winograd: a block's products before the output transform. */
  static final int TRANSFORMED_OUT = 9;
  /** Pointwise convolutions: packed weights scaled by one image's input-channel gates. */
  static final int GATED_W = 10;
  private static final int SLOTS = 11;

  private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[SLOTS][]);
  private static final ThreadLocal<int[]> INTS = new ThreadLocal<>();

  private Scratch() {}

  /** A float array of at least {@code size} for this thread and slot. */
  static float[] floats(int slot, int size) {
    float[][] slots = BUFFERS.get();
    float[] buf = slots[slot];
    if (buf == null || buf.length < size) {
      buf = new float[Math.max(size, buf == null ? 0 : buf.length + buf.length / 2)];
      slots[slot] = buf;
    }
    return buf;
  }

  /**
   * A float array for this thread and slot with room for {@code size} floats from {@link CacheLines#start} of it:
   * from a cache-line boundary where that can be known. For copies whose destination is written whole vectors at
   * a time (see {@link CacheLines}).
   */
  static float[] lineAligned(int slot, int size) {
    float[][] slots = BUFFERS.get();
    float[] buf = slots[slot];
    if (buf == null || buf.length < Math.max(CacheLines.lengthFor(size), size + CacheLines.start(buf))) {
      // Half as long again (or size), then as lengthFor pads it: that many floats fit past its line start.
      buf = new float[CacheLines.lengthFor(Math.max(size, buf == null ? 0 : buf.length + buf.length / 2))];
      slots[slot] = buf;
    }
    return buf;
  }

  /** An int array of at least {@code size} for this thread (one slot: a convolution's row offsets). */
  static int[] ints(int size) {
    int[] buf = INTS.get();
    if (buf == null || buf.length < size) {
      buf = new int[size];
      INTS.set(buf);
    }
    return buf;
  }
}
