package sparkcnn.kernels.bench;

import java.util.Map;

/**
 * The roofline bound of a kernel on this machine: the lower of the FMA peak and what memory can feed,
 * bandwidth x arithmetic intensity, where the intensity is the kernel's FLOPs over the bytes it must touch
 * (inputs read once, outputs written once). A working set larger than half the last-level cache streams from
 * memory (the copy bandwidth); a smaller one from cache (the L2-resident copy bandwidth). With several threads
 * the bound takes per-core bandwidth times the threads: optimistic where memory is shared.
 */
record Roofline(double peak, MemoryBandwidth.Figures bandwidth) {
  /** GFLOP/s the kernel can reach at most. */
  double boundGflops(double flops, long bytes, int threads) {
    double bw = bytes > bandwidth.lastLevelCache() / 2 ? bandwidth.copy() : bandwidth.cacheCopy();
    return Math.min(peak * threads, bw * threads * flops / bytes / 1e9);
  }

  /** Adds the roofline figures of a measured kernel (flops in seconds, touching bytes) to its report row. */
  void put(Map<String, Object> row, double flops, long bytes, double seconds, int threads) {
    double bound = boundGflops(flops, bytes, threads);
    row.put("intensity_flops_per_byte", flops / bytes);
    row.put("roofline_gflops", bound);
    row.put("fraction_of_roofline", flops / seconds / 1e9 / bound);
    row.put("gb_per_second", bytes / seconds / 1e9);
  }
}
