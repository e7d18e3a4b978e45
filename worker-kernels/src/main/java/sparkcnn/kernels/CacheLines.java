package sparkcnn.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where a float array's 64-byte cache lines begin, for the arrays where the JVM lets one know it: G1's humongous
 * arrays.
 *
 * <p>Why: a vector store that straddles two cache lines costs two, and a copy whose destination starts off a line
 * boundary straddles with every 16-lane store. Gathering a 144-channel 56x56 image into GEMM's packed panels (a
 * pure copy, 1.8 MB) took 61-104 us at the one offset of its destination (of 0, 4, 8, 12 floats) that put the
 * stores on line boundaries and 84-276 us at the other three (one AMD EPYC thread, one JVM); the pointwise
 * convolutions around it ran 1.1-1.3x faster (README, "GEMM's packed panels written from a cache-line boundary").
 *
 * <p>Java aligns heap arrays to 8 bytes only, and a collector may move them, so a line boundary is known in one
 * case: G1 places an object of at least half a heap region ("humongous") at the start of a region of its own and
 * never moves it to a different offset in one. Its floats then start a header's length past a line boundary: 16
 * bytes with compressed class pointers (the default), else 24. Anywhere else (other collectors, other JVMs, smaller
 * arrays) {@link #start} answers 0, which is what every caller used before: nothing gets slower.
 */
final class CacheLines {
  private static final int LINE = 64;
  /** Bytes from which an array is humongous, or 0 when not under G1 (or unknown). */
  private static final long HUMONGOUS_BYTES;
  /** Float index of the first line boundary in a humongous array. */
  private static final int FIRST;

  static {
    long humongous = 0;
    int first = 0;
    try {
      HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      if (vm != null && Boolean.parseBoolean(vm.getVMOption("UseG1GC").getValue())) {
        humongous = Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue()) / 2;
        boolean compressed = Boolean.parseBoolean(vm.getVMOption("UseCompressedClassPointers").getValue());
        first = (LINE - (compressed ? 16 : 24)) / Float.BYTES;
      }
    } catch (RuntimeException | LinkageError e) {
      humongous = 0; // not HotSpot, or the options are not there: no line boundary is known
    }
    HUMONGOUS_BYTES = humongous;
    FIRST = first;
  }

  private CacheLines() {}

  /** The first float index of a at a cache-line boundary where that is known, else 0. */
  static int start(float[] a) {
    return HUMONGOUS_BYTES > 0 && 4L * a.length >= HUMONGOUS_BYTES ? FIRST : 0;
  }

  /**
   * The length to allocate for an array that needs n floats from a line boundary: large enough to be humongous
   * (so {@link #start} knows the boundary) where that costs at most eight times n, else n.
   */
  static int lengthFor(int n) {
    long humongous = HUMONGOUS_BYTES / Float.BYTES;
    if (humongous == 0 || humongous > 8L * n) {
      return n;
    }
    return (int) Math.max(humongous, (long) n + FIRST);
  }
}
