package sparkcnn.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class CpuModelTest {
  @Test
  void theFirstModelNameIsTheCpu() {
    String cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 17\n"
        + "model name\t: AMD EPYC 9R14 96-Core Processor\nflags\t\t: fpu avx512f\n\n"
        + "processor\t: 1\nmodel name\t: AMD EPYC 9R14 96-Core Processor\n";
    assertEquals("AMD EPYC 9R14 96-Core Processor", CpuModel.parse(cpuinfo));
  }

  @Test
  void noModelNameIsNone() {
    assertNull(CpuModel.parse("processor\t: 0\nmodel\t\t: 167\n"));
    assertNull(CpuModel.parse("model name\t:   \n"));
    assertFalse(CpuModel.name().isBlank());
  }
}
