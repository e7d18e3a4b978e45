package sparkcnn.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The data-cache sizes of this machine's first CPU, as Linux reports them (/sys/devices/system/cpu/cpu0/cache),
 * or common x86 server sizes where it does not (other systems, containers that hide sysfs). Blocking reads them
 * here (the roofline measures bandwidth at each kernel's working-set size instead).
 */
public final class CacheSizes {
  private static final long L1 = read(1, 32 << 10);
  private static final long L2 = read(2, 1 << 20);
  private static final long LAST = Math.max(L2, read(3, 32L << 20));

  private CacheSizes() {}

  /** L1 data cache, bytes. */
  public static long l1() {
    return L1;
  }

  /** L2 cache, bytes. */
  public static long l2() {
    return L2;
  }

  /** The last-level cache (L3, or L2 where there is none), bytes. */
  public static long lastLevel() {
    return LAST;
  }

  private static long read(int level, long fallback) {
    Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
    for (int i = 0; i < 8; i++) {
      Path index = dir.resolve("index" + i);
      try {
        if (!Files.isDirectory(index) || Integer.parseInt(Files.readString(index.resolve("level")).trim()) != level
            || Files.readString(index.resolve("type")).trim().equals("Instruction")) {
          continue;
        }
        return parse(Files.readString(index.resolve("size")).trim());
      } catch (IOException | RuntimeException e) {
        return fallback; // unreadable: the common size is as good a guess as any
      }
    }
    return fallback;
  }

  /** "32K", "1024K", "32768K", "1M" or a plain byte count. */
  public static long parse(String size) {
    char unit = Character.toUpperCase(size.charAt(size.length() - 1));
    long scale = unit == 'K' ? 1L << 10 : unit == 'M' ? 1L << 20 : unit == 'G' ? 1L << 30 : 1;
    String digits = scale == 1 ? size : size.substring(0, size.length() - 1);
    return Long.parseLong(digits.trim()) * scale;
  }
}
