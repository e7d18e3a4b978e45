package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Where a float array's cache lines are known to begin, and the scratch arrays that ask for it: room for what was
 * asked from that index, the array grown to a known line start only where that costs at most four times the
 * request, the same array again on the next call, and under G1 (the tests' collector) a line boundary actually
 * known for large copies. That the index is a line boundary cannot be seen from Java; the products that write from
 * it are checked against the naive loops in {@link PointwiseBatchedTest} and {@link GemmTest}.
 */
class CacheLinesTest {
  @Test
  void arraysHaveRoomFromTheirLineStartAndAreGrownForItAtMostFourfold() {
    long h = CacheLines.humongousFloats();
    for (long v : new long[] {1, 100, 4096, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 3 << 20, h / 4 - 1, h / 4, h - 1, h,
        h + 1, 4 * h}) {
      int n = (int) Math.max(1, v);
      int length = CacheLines.lengthFor(n);
      float[] a = new float[length];
      int start = CacheLines.start(a);
      assertTrue(start >= 0 && start < CacheLines.FLOATS, "start " + start + " for " + n);
      assertTrue(length >= n + start, n + " floats from " + start + " in " + length);
      assertTrue(length <= 4L * n + CacheLines.FLOATS, "at most four times the request: " + length + " for " + n);
    }
    assertEquals(0, CacheLines.start(new float[1000]));
    if (h > 0 && h <= 2L << 20) {
      int quarter = (int) (h / 4);
      assertTrue(CacheLines.start(new float[CacheLines.lengthFor(quarter)]) > 0, "grown at a quarter");
      assertEquals(quarter - 1, CacheLines.lengthFor(quarter - 1), "not grown below a quarter");
      assertEquals(0, CacheLines.start(new float[(int) h - 1]), "just under humongous");
    }
  }

  /**
   * Other heaps' regions, whatever this JVM has: up to 16 MB an array is grown to a known line start from a quarter
   * of the humongous size; past that (32 MB regions) it is not grown, but one humongous by its own size still gets
   * room past its line start, where start will put its first float.
   */
  @Test
  void everyRegionSizeLeavesRoomPastTheLineStart() {
    for (long region = 1 << 20; region <= 32 << 20; region *= 2) {
      long h = region / 2 / Float.BYTES;
      boolean grows = region <= 16 << 20;
      for (long n : new long[] {1, h / 4 - 1, h / 4, h - 1, h, 3 * h, 5_000_000}) {
        long length = CacheLines.lengthFor(n, h, 12);
        long start = length >= h ? 12 : 0;
        assertTrue(length >= n + start, "region " + region + ", " + n + " floats: " + length);
        boolean grown = grows && n >= h / 4 && n < h;
        assertEquals(grown ? h + 12 : n >= h ? n + 12 : n, length, "region " + region + ", " + n + " floats");
      }
    }
  }

  @Test
  void underG1TheLineStartOfALargeCopyIsKnown() {
    boolean g1 = false;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      g1 |= gc.getName().startsWith("G1");
    }
    if (!g1) {
      return; // another collector: no line start is known, and start answers 0 (checked above)
    }
    // 16 bytes of header before the floats (compressed class pointers; 24 without): float 12 (or 10) starts a line.
    int start = CacheLines.start(new float[CacheLines.lengthFor(1 << 20)]);
    assertTrue(start == 12 || start == 10, "line start " + start);
  }

  /**
   * Tensors for layer buffers: from the array's line start where the array is humongous (the size plus a line of
   * room), at index 0 below that; the data whole in the array, all zeros.
   */
  @Test
  void tensorsFromALineStartWhereTheirArraysAreHumongous() {
    long h = CacheLines.humongousFloats();
    Tensor small = Tensor.zerosFromLine(2, 3, 4, 4);
    assertEquals(0, small.offset);
    assertEquals(96, small.data.length);
    for (long n : new long[] {h - CacheLines.FLOATS - 1, h - CacheLines.FLOATS, h, 3 * h + 5}) {
      if (h == 0 || n <= 0) {
        continue;
      }
      Tensor t = Tensor.zerosFromLine(1, (int) n);
      boolean humongous = n + CacheLines.FLOATS >= h;
      assertEquals(humongous ? CacheLines.start(t.data) : 0, t.offset, n + " floats");
      assertEquals(humongous ? 0 : -1, CacheLines.offset(t.data, t.offset), n + " floats");
      assertTrue(t.data.length >= t.offset + n, n + " floats in " + t.data.length);
    }
    Tensor large = Tensor.zerosFromLine(64, 64, 32, 32);
    for (int i = 0; i < large.size(); i += 4099) {
      assertEquals(0f, large.get(i));
    }
  }

  /**
   * On a thread of its own (the slots start empty): a plain array long enough for the request but with no known
   * line start is replaced, as is a humongous one without room past its line start; the replacement is kept.
   */
  @Test
  void scratchReplacesArraysWithoutAKnownLineStartOrRoomAndKeepsItsOwn() throws InterruptedException {
    long humongous = CacheLines.humongousFloats();
    if (humongous == 0 || humongous > 2L << 20) {
      return; // no line start known here: lineAligned is floats
    }
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(() -> {
      try {
        int quarter = (int) (humongous / 4);
        float[] plain = Scratch.floats(Scratch.PACK_B, quarter);
        assertEquals(0, CacheLines.start(plain));
        float[] lined = Scratch.lineAligned(Scratch.PACK_B, quarter);
        assertNotSame(plain, lined, "a plain array replaced");
        assertTrue(CacheLines.start(lined) > 0 && lined.length >= quarter + CacheLines.start(lined));
        assertSame(lined, Scratch.lineAligned(Scratch.PACK_B, quarter), "kept on the next call");
        assertSame(lined, Scratch.lineAligned(Scratch.PACK_B, 1 << 10), "and for less");
        assertSame(lined, Scratch.floats(Scratch.PACK_B, 1000), "the slot's plain users get it too");
        float[] exact = Scratch.floats(Scratch.PACK_A, (int) humongous);
        float[] roomy = Scratch.lineAligned(Scratch.PACK_A, (int) humongous);
        assertNotSame(exact, roomy, "no room past the line start: replaced");
        assertTrue(roomy.length >= humongous + CacheLines.start(roomy));
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    thread.start();
    thread.join();
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }
}
