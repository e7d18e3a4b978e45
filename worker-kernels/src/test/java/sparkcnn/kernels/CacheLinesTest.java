package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * Where a float array's cache lines are known to begin, and the scratch arrays that ask for it: room for what was
 * asked from that index, the same array again on the next call, and under G1 (the tests' collector) a line boundary
 * actually known for large copies. That the index is a line boundary cannot be seen from Java; the products that
 * write from it are checked against the naive loops in {@link PointwiseBatchedTest} and {@link GemmTest}.
 */
class CacheLinesTest {
  @Test
  void largeArraysHaveRoomFromTheirLineStartAndSmallOnesStartAtZero() {
    for (int n : new int[] {1, 100, 4096, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 3 << 20}) {
      int length = CacheLines.lengthFor(n);
      float[] a = new float[length];
      int start = CacheLines.start(a);
      assertTrue(start >= 0 && start < 16, "start " + start + " for " + n);
      assertTrue(length >= n + start, n + " floats from " + start + " in " + length);
      assertTrue(length <= Math.max(n + 16, 8L * n), "at most eight times what was asked: " + length + " for " + n);
    }
    assertEquals(0, CacheLines.start(new float[1000]));
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
    // 16 or 24 bytes of header before the floats: the first line boundary at float 12 or 10.
    int start = CacheLines.start(new float[CacheLines.lengthFor(1 << 20)]);
    assertTrue(start == 12 || start == 10, "line start " + start);
  }

  @Test
  void scratchKeepsItsLineAlignedArrayAndReplacesAPlainOne() {
    Scratch.floats(Scratch.PACK_B, 1000);
    float[] big = Scratch.lineAligned(Scratch.PACK_B, 1 << 18);
    assertTrue(big.length >= (1 << 18) + CacheLines.start(big));
    if (CacheLines.lengthFor(1 << 18) > 1 << 18) {
      assertTrue(CacheLines.start(big) > 0, "a known line start replaces a plain array");
    }
    assertSame(big, Scratch.lineAligned(Scratch.PACK_B, 1 << 18), "kept on the next call");
    assertSame(big, Scratch.lineAligned(Scratch.PACK_B, 1 << 10), "and for less");
    assertSame(big, Scratch.floats(Scratch.PACK_B, 1000), "the slot's plain users get it too");
  }
}
