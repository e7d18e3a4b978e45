package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Surefire runs the GEMM and convolution tests a second time without the Vector API module; this pins which path ran. */
class ScalarPathTest {
  @Test
  void pathMatchesTheJvmFlags() {
    boolean expectScalar = Boolean.getBoolean("sparkcnn.expectScalar");
    assertEquals(!expectScalar, Simd.AVAILABLE, "Simd.AVAILABLE with expectScalar=" + expectScalar);
  }
}
