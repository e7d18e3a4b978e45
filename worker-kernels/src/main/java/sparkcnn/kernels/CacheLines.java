package sparkcnn.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where a float array's 64-byte cache lines begin, for the arrays where the JVM lets one know it: G1's humongous
 * arrays.
 *
 * <p>Why: a vector store that straddles two cache lines costs two, and a copy whose destination starts off a line
 * boundary straddles with every 16-lane store (every other 8-lane one). Gathering a 144-channel 56x56 image into
 * GEMM's packed panels (a pure copy, 1.8 MB) took 61-104 us at the one offset of its destination (of 0, 4, 8, 12
 * floats) that put the stores on line boundaries and 84-276 us at the other three (one AMD EPYC thread, one JVM);
 * the 144 -> 24 forward and 24 -> 144 backward data around it ran 1.2-1.3x faster, 256 -> 64 forward 1.1x, other
 * pointwise shapes level (README, "GEMM's packed panels written from a cache-line boundary").
 *
 * <p>Java aligns heap arrays to 8 bytes only, and a collector may move them, so a line boundary is known in one
 * case: G1 places an object of more than half a heap region ("humongous") at the start of a region of its own, and
 * when it moves one (later JDKs' last-ditch full collection) it moves it to the start of another. Its floats then
 * start the array header's length past a line boundary (16 bytes with compressed class pointers, as read from
 * {@code sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET}). Anywhere else (other collectors, other JVMs, smaller arrays)
 * {@link #start} answers 0, which is what every caller used before: nothing gets slower.
 */
final class CacheLines {
  private static final int LINE = 64;
  /** Floats in a cache line. */
  static final int FLOATS = LINE / Float.BYTES;
  /**
   * The largest humongous size an array is grown to for its line boundary: half of a 16 MB region (heaps up to 32
   * GB). A humongous array takes its region whole, so past that a scratch array would cost 32 MB of heap a thread.
   */
  private static final long MAX_PADDED_BYTES = 8L << 20;
  /** Floats from which an array is humongous (more than half a region with its header), or 0 when not G1. */
  private static final long HUMONGOUS_FLOATS;
  /** Float index of the first line boundary in a humongous array. */
  private static final int FIRST;

  static {
    long humongous = 0;
    int first = 0;
    try {
      HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      if (vm != null && Boolean.parseBoolean(vm.getVMOption("UseG1GC").getValue())) {
        int header = Class.forName("sun.misc.Unsafe").getField("ARRAY_FLOAT_BASE_OFFSET").getInt(null);
        if (header > 0 && header % Float.BYTES == 0) {
          humongous = Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue()) / 2 / Float.BYTES;
          first = (LINE - header % LINE) % LINE / Float.BYTES;
        }
      }
    } catch (Throwable e) {
      // Not HotSpot, no such option or field, no management module...: no line boundary is known. Caught whole,
      // whatever it is: GEMM depends on this class, and a hint about speed must never stop it from loading.
      humongous = 0;
      first = 0;
    }
    HUMONGOUS_FLOATS = humongous;
    FIRST = first;
  }

  private CacheLines() {}

  /** The first float index of a at a cache-line boundary where that is known, else 0. */
  static int start(float[] a) {
    return HUMONGOUS_FLOATS > 0 && a.length >= HUMONGOUS_FLOATS ? FIRST : 0;
  }

  /** Floats from a[index] back to the cache-line boundary at or before it (0 to 15), or -1 where none is known. */
  static int offset(float[] a, int index) {
    return HUMONGOUS_FLOATS > 0 && a.length >= HUMONGOUS_FLOATS ? Math.floorMod(index - FIRST, FLOATS) : -1;
  }

  /**
   * The length to allocate for an array that needs n floats from {@link #start} of it: grown to be humongous (so
   * that start knows a line boundary) where that is at most four times n and at most {@link #MAX_PADDED_BYTES},
   * and, whenever the result is humongous (grown or not), with room for n floats past its line start. The region
   * a grown array takes is then at most eight times n.
   */
  static int lengthFor(int n) {
    return (int) Math.min(Integer.MAX_VALUE - 8, lengthFor(n, humongousFloats(), FIRST));
  }

  /** {@link #lengthFor} where arrays of humongous floats and more are humongous, their line start at first. */
  static long lengthFor(long n, long humongous, int first) {
    if (humongous == 0) {
      return n;
    }
    long length = humongous <= 4 * n && 4 * humongous <= MAX_PADDED_BYTES ? Math.max(humongous, n) : n;
    return length >= humongous ? length + first : length;
  }

  /** Floats from which an array is humongous, or 0 where no line boundary is known. */
  static long humongousFloats() {
    return HUMONGOUS_FLOATS;
  }
}
