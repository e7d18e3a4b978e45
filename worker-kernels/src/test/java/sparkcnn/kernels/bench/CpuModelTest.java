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
  void theIdentityIsTheFirstProcessorsNumbers() {
    String cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n"
        + "model name\t: AMD EPYC\nstepping\t: 1\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n"
        + "cpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nstepping\t: 0\n";
    // "model name" comes after "model" here; the other order must not take the name for the number.
    assertEquals("AuthenticAMD family 26 model 2 stepping 1", CpuModel.parseIdentity(cpuinfo));
    String nameFirst = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) Processor\n"
        + "model\t\t: 167\n";
    assertEquals("GenuineIntel family 6 model 167", CpuModel.parseIdentity(nameFirst));
  }

  @Test
  void anIdentityWithoutItsNumbersIsNone() {
    assertNull(CpuModel.parseIdentity("vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n"));
    assertNull(CpuModel.parseIdentity("vendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t:\n"));
    // An ARM kernel's fields: no vendor_id or cpu family.
    assertNull(CpuModel.parseIdentity("processor\t: 0\nBogoMIPS\t: 243.75\nCPU implementer\t: 0x41\n"
        + "CPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd0c\nCPU revision\t: 1\n"));
    // Numbers only on a later processor are not the first processor's.
    assertNull(CpuModel.parseIdentity("processor\t: 0\nvendor_id\t: AuthenticAMD\n\n"
        + "processor\t: 1\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n"));
  }

  @Test
  void noModelNameIsNone() {
    assertNull(CpuModel.parse("processor\t: 0\nmodel\t\t: 167\n"));
    assertNull(CpuModel.parse("model name\t:   \n"));
    assertFalse(CpuModel.name().isBlank());
  }
}
