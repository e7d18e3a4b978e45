package sparkcnn.kernels.bench;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import sparkcnn.kernels.CacheSizes;
import sparkcnn.kernels.Simd;

/**
 * This machine's memory bandwidth on one thread, measured: read (a vector sum), write (a fill), copy
 * (System.arraycopy), each over arrays four times larger than the last-level cache (within a third of the heap
 * together: {@link #streamFloats}), and the same copy over a
 * block that stays in L2. Figures are bytes moved per second: a copy of n bytes counts 2n (read and write), the
 * same way a kernel's traffic is counted for its roofline. Best of several runs: interference only slows down.
 */
public final class MemoryBandwidth {
  /** The measured figures, bytes per second. */
  public record Figures(double read, double write, double copy, double cacheCopy, long lastLevelCache) {}

  private MemoryBandwidth() {}

  public static Figures measure() {
    long llc = CacheSizes.lastLevel();
    int n = streamFloats(llc, Runtime.getRuntime().maxMemory());
    float[] a = new float[n];
    float[] b = new float[n];
    Arrays.fill(a, 1f);
    Arrays.fill(b, 2f);
    double read = 0;
    double write = 0;
    double copy = 0;
    for (int run = 0; run < 6; run++) {
      float value = run;
      read = Math.max(read, rate(4.0 * n, () -> Blackhole.consume(sum(a))));
      write = Math.max(write, rate(4.0 * n, () -> Arrays.fill(b, value)));
      copy = Math.max(copy, rate(8.0 * n, () -> System.arraycopy(a, 0, b, 0, n)));
    }
    // A quarter of L2 per block (two blocks in flight), copied back and forth many times.
    int m = (int) Math.min(n / 2, Math.max(1024, CacheSizes.l2() / 16)); // a small heap's arrays hold two blocks
    double cache = 0;
    for (int run = 0; run < 6; run++) {
      int repeats = Math.max(1, (64 << 20) / (8 * m));
      cache = Math.max(cache, rate(16.0 * m * repeats, () -> {
        for (int i = 0; i < repeats; i++) {
          System.arraycopy(a, 0, b, 0, m);
          System.arraycopy(b, 0, a, m, m);
        }
      }));
    }
    return new Figures(read, write, copy, cache, llc);
  }

  /**
   * Floats in each of the two streamed arrays: four times the last-level cache's bytes (at least 64 MB), but
   * both arrays within a third of the heap. Virtual machines can report the whole socket's cache (480 MB on a
   * 2-core Xeon here), which 4 GB of heap cannot hold twice four times over; such a cache is mostly other
   * tenants' anyway, so arrays a few hundred MB long still measure memory.
   */
  static int streamFloats(long lastLevelCache, long maxHeap) {
    long wanted = Math.max(16L << 20, lastLevelCache);
    long fits = maxHeap / 3 / 2 / 4;
    return (int) Math.max(1L << 20, Math.min(Integer.MAX_VALUE - 64, Math.min(wanted, fits)));
  }

  /**
   * Bytes read + written per second by a copy whose two arrays together span workingSet bytes (clamped by
   * {@link #copyFloats}), repeated until 64 MB have moved, best of five after one that pages the arrays in. The
   * bandwidth a kernel touching workingSet bytes can hope for: in a cache where they fit, from memory where not.
   */
  public static double copyAt(long workingSet) {
    int n = copyFloats(workingSet, Runtime.getRuntime().maxMemory());
    float[] a = new float[n];
    float[] b = new float[n];
    Arrays.fill(a, 1f);
    int repeats = (int) Math.max(1, (64L << 20) / (8L * n));
    double best = 0;
    for (int run = 0; run < 6; run++) {
      double rate = rate(8.0 * n * repeats, () -> {
        for (int i = 0; i < repeats; i++) {
          System.arraycopy(a, 0, b, 0, n);
        }
      });
      if (run > 0) { // the first run pages the arrays in
        best = Math.max(best, rate);
      }
    }
    return best;
  }

  /** Floats in each of copyAt's two arrays: a working set's half, at least 4 KB, at most what streamFloats allows. */
  static int copyFloats(long workingSet, long maxHeap) {
    return (int) Math.max(1024, Math.min(workingSet / 8, streamFloats(Long.MAX_VALUE, maxHeap)));
  }

  /** Bytes copied per second by System.arraycopy of 64 MB, one direction counted (the all-reduce bench's unit). */
  public static double arraycopy() {
    float[] a = new float[16 << 20];
    float[] b = new float[a.length];
    Arrays.fill(a, 1f);
    double best = 0;
    for (int i = 0; i < 12; i++) {
      best = Math.max(best, rate(a.length * 4.0, () -> System.arraycopy(a, 0, b, 0, a.length)));
    }
    return best;
  }

  private static double rate(double bytes, Runnable work) {
    long t0 = System.nanoTime();
    work.run();
    return bytes / ((System.nanoTime() - t0) * 1e-9);
  }

  private static float sum(float[] a) {
    if (Simd.AVAILABLE) {
      return VectorSum.sum(a);
    }
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= a.length; i += 4) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
    }
    for (; i < a.length; i++) {
      s0 += a[i];
    }
    return s0 + s1 + s2 + s3;
  }

  /** Loaded only when the Vector API is present. */
  private static final class VectorSum {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float sum(float[] a) {
      int l = S.length();
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = s0;
      FloatVector s2 = s0;
      FloatVector s3 = s0;
      int i = 0;
      for (; i + 4 * l <= a.length; i += 4 * l) {
        s0 = s0.add(FloatVector.fromArray(S, a, i));
        s1 = s1.add(FloatVector.fromArray(S, a, i + l));
        s2 = s2.add(FloatVector.fromArray(S, a, i + 2 * l));
        s3 = s3.add(FloatVector.fromArray(S, a, i + 3 * l));
      }
      float s = s0.add(s1).add(s2).add(s3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
      for (; i < a.length; i++) {
        s += a[i];
      }
      return s;
    }
  }
}
