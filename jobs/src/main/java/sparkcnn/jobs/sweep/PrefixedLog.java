package sparkcnn.jobs.sweep;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A log whose every line starts with a prefix ("[trial-03] "), written whole to the shared log: concurrent trials'
 * progress lines interleave but never mix within a line.
 */
public final class PrefixedLog extends OutputStream {
  private final PrintStream target;
  private final String prefix;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private PrefixedLog(PrintStream target, String prefix) {
    this.target = target;
    this.prefix = prefix;
  }

  public static PrintStream of(PrintStream target, String prefix) {
    return new PrintStream(new PrefixedLog(target, prefix), true, StandardCharsets.UTF_8);
  }

  @Override
  public synchronized void write(int b) {
    if (b == '\n') {
      synchronized (target) {
        target.println(prefix + line.toString(StandardCharsets.UTF_8));
      }
      line.reset();
    } else {
      line.write(b);
    }
  }
}
