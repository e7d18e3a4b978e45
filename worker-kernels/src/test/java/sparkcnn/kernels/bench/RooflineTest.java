package sparkcnn.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.CacheSizes;

/** The roofline's arithmetic (no timing): which bandwidth applies, and where compute takes over. */
class RooflineTest {
  // peak 100 GFLOP/s; a copy runs at 80 GB/s over working sets up to 1 MB, at 20 GB/s over larger ones.
  private final Roofline roof = new Roofline(100, new MemoryBandwidth.Figures(30e9, 15e9, 20e9, 80e9, 32L << 20),
      bytes -> bytes <= 1L << 20 ? 80e9 : 20e9);

  @Test
  void aStreamingKernelIsBoundByMemoryAndADenseOneByPeak() {
    // Depthwise 3x3: 18 FLOPs per 8 bytes, 64 MB touched: 20 GB/s x 2.25 = 45 GFLOP/s.
    assertEquals(45, roof.boundGflops(18.0 * (8 << 20), 64L << 20, 1), 1e-9);
    // Two threads: twice the bandwidth assumed.
    assertEquals(90, roof.boundGflops(18.0 * (8 << 20), 64L << 20, 2), 1e-9);
    // A GEMM's intensity is far above the ridge: the peak.
    assertEquals(100, roof.boundGflops(2e9, 12L << 20, 1), 1e-9);
    assertEquals(200, roof.boundGflops(2e9, 12L << 20, 2), 1e-9);
  }

  @Test
  void theBandwidthIsTheOneMeasuredAtTheKernelsWorkingSet() {
    // 1 MB touched at 0.5 FLOP per byte: 80 GB/s x 0.5 = 40; one byte more and the slower copy applies.
    assertEquals(40, roof.boundGflops(0.5 * (1 << 20), 1L << 20, 1), 1e-9);
    assertEquals(10, roof.boundGflops(0.5 * ((1 << 20) + 1), (1L << 20) + 1, 1), 1e-9);
  }

  @Test
  void theRowCarriesTheFractionOfTheBound() {
    Map<String, Object> row = new LinkedHashMap<>();
    // 45 GFLOP/s bound; 0.9e9 FLOPs in 0.04 s = 22.5 GFLOP/s = half of it.
    roof.put(row, 18.0 * 50e6, 400_000_000L, 0.04, 1);
    assertEquals(0.5, (Double) row.get("fraction_of_roofline"), 1e-9);
    assertEquals(2.25, (Double) row.get("intensity_flops_per_byte"), 1e-9);
    assertEquals(10.0, (Double) row.get("gb_per_second"), 1e-9);
    assertEquals(20.0, (Double) row.get("bandwidth_gb_per_second"), 1e-9);
  }

  @Test
  void cacheSizesParseLinuxNotation() {
    assertEquals(32 << 10, CacheSizes.parse("32K"));
    assertEquals(1L << 20, CacheSizes.parse("1024K"));
    assertEquals(2L << 20, CacheSizes.parse("2M"));
    assertEquals(4096, CacheSizes.parse("4096"));
  }
}
