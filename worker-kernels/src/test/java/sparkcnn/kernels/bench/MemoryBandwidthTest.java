package sparkcnn.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryBandwidthTest {
  private static final long MB = 1L << 20;

  @Test
  void streamedArraysAreFourTimesTheCacheWhenTheHeapHoldsThem() {
    assertEquals(32 * MB, MemoryBandwidth.streamFloats(32 * MB, 4096 * MB)); // 128 MB an array
    assertEquals(16 * MB, MemoryBandwidth.streamFloats(1 * MB, 4096 * MB)); // at least 64 MB
  }

  @Test
  void aWorkingSetIsCopiedHalfIntoHalfWithinBounds() {
    assertEquals(4 * MB, MemoryBandwidth.copyFloats(32 * MB, 4096 * MB)); // 32 MB: two arrays of 16 MB
    assertEquals(1024, MemoryBandwidth.copyFloats(100, 4096 * MB)); // at least 4 KB an array
    assertEquals(1024, MemoryBandwidth.copyFloats(-5, 4096 * MB));
    assertEquals(MemoryBandwidth.streamFloats(Long.MAX_VALUE, 4096 * MB),
        MemoryBandwidth.copyFloats(Long.MAX_VALUE, 4096 * MB), "at most what the heap allows");
  }

  @Test
  void aCacheReportedAsHugeIsCappedByTheHeap() {
    // A VM on a 2-core Xeon reported a 480 MB last-level cache: two 1.9 GB arrays overflowed a 4 GB heap.
    for (long heap : new long[] {512 * MB, 4096 * MB, 24576 * MB}) {
      int n = MemoryBandwidth.streamFloats(480 * MB, heap);
      assertTrue(2L * 4 * n <= heap / 3, "heap " + heap + ": " + n);
      assertTrue(n >= Math.min(480 * MB, heap / 3 / 8 - 1), "heap " + heap + ": " + n);
    }
  }
}
