package sparkcnn.kernels.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU's model name as Linux reports it (/proc/cpuinfo), for the bench report: the machine kind changes between
 * runs (an AMD EPYC, an Intel Xeon), and a fraction of peak means little without the CPU it was measured on.
 */
final class CpuModel {
  private CpuModel() {}

  /** The model name, or the JVM's os.arch where /proc/cpuinfo is absent or has none. */
  static String name() {
    String model = parse(cpuinfo());
    return model != null ? model : System.getProperty("os.arch", "unknown");
  }

  /** /proc/cpuinfo's text, or "" where it is absent or unreadable (not Linux): then no field is found in it. */
  private static String cpuinfo() {
    try {
      return Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** The first "model name" field of a cpuinfo text, trimmed, or null where there is none. */
  static String parse(String cpuinfo) {
    return field(cpuinfo, "model name");
  }

  /**
   * The vendor, family, model and stepping numbers ("AuthenticAMD family 26 model 2 stepping 1"), or null where
   * /proc/cpuinfo is absent or lacks them (non-x86 kernels name other fields). Why: a virtual machine's model name
   * may be only the brand ("AMD EPYC" on a Zen 5), which does not tell apart CPU generations whose kernels run
   * differently (the EPYC sessions' Zen 4 and this Zen 5 have 32 and 48 KB of L1d); family and model numbers do.
   */
  static String identity() {
    return parseIdentity(cpuinfo());
  }

  /**
   * {@link #identity} of a cpuinfo text: its first processor's fields (the text up to the first blank line, so that
   * no field comes from another processor), or null where vendor, family or model is missing there.
   */
  static String parseIdentity(String cpuinfo) {
    String first = cpuinfo.split("\n\\s*\n", 2)[0];
    String vendor = field(first, "vendor_id");
    String family = field(first, "cpu family");
    String model = field(first, "model");
    String stepping = field(first, "stepping");
    if (vendor == null || family == null || model == null) {
      return null;
    }
    return vendor + " family " + family + " model " + model + (stepping == null ? "" : " stepping " + stepping);
  }

  /** The first field of that exact name ("model" is not "model name"), its value trimmed; null if absent or empty. */
  private static String field(String cpuinfo, String name) {
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
        String value = line.substring(colon + 1).trim();
        return value.isEmpty() ? null : value;
      }
    }
    return null;
  }
}
