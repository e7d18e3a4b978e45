package sparkcnn.kernels.bench;

import java.util.Map;
import java.util.function.LongToDoubleFunction;

/**
 * The roofline bound of a kernel on this machine: the lower of the FMA peak and what the memory hierarchy can
 * feed, bandwidth x arithmetic intensity, where the intensity is the kernel's FLOPs over the bytes it must touch
 * (inputs read once, outputs written once). The bandwidth is a copy's over a working set of the kernel's own size
 * ({@code copyAt}, bytes read + written per second), measured in the same run: a working set that fits a cache
 * streams from that cache, one that does not from memory, whatever the sizes the machine reports. (A rule on
 * reported sizes fails both ways: a VM on a Xeon reported a 480 MB L3, which put a 26 MB depthwise layer at L2
 * speed; a 32 MB L3 on an EPYC put the same layer at memory speed, and it ran at 1.03 of that bound.) With several
 * threads the bound takes one thread's bandwidth times the threads: optimistic where memory is shared.
 */
record Roofline(double peak, MemoryBandwidth.Figures bandwidth, LongToDoubleFunction copyAt) {
  /** GFLOP/s the kernel can reach at most. */
  double boundGflops(double flops, long bytes, int threads) {
    return bound(flops, bytes, threads, copyAt.applyAsDouble(bytes));
  }

  private double bound(double flops, long bytes, int threads, double bandwidth) {
    return Math.min(peak * threads, bandwidth * threads * flops / bytes / 1e9);
  }

  /** Adds the roofline figures of a measured kernel (flops in seconds, touching bytes) to its report row. */
  void put(Map<String, Object> row, double flops, long bytes, double seconds, int threads) {
    double bandwidth = copyAt.applyAsDouble(bytes);
    double bound = bound(flops, bytes, threads, bandwidth);
    row.put("intensity_flops_per_byte", flops / bytes);
    row.put("bandwidth_gb_per_second", bandwidth / 1e9);
    row.put("roofline_gflops", bound);
    row.put("fraction_of_roofline", flops / seconds / 1e9 / bound);
    row.put("gb_per_second", bytes / seconds / 1e9);
  }
}
