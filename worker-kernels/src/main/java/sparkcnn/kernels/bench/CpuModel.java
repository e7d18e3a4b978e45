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
    try {
      String model = parse(Files.readString(Path.of("/proc/cpuinfo")));
      if (model != null) {
        return model;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: the architecture is all there is to say
    }
    return System.getProperty("os.arch", "unknown");
  }

  /** The first "model name" field of a cpuinfo text, trimmed, or null where there is none. */
  static String parse(String cpuinfo) {
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
        String model = line.substring(colon + 1).trim();
        return model.isEmpty() ? null : model;
      }
    }
    return null;
  }
}
