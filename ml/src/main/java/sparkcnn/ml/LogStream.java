package sparkcnn.ml;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;

/**
 * The trainer's console lines as log records: the command line prints progress for a person at a terminal, an
 * estimator inside someone's application logs it (at INFO, under the estimator's class), one record per line.
 */
final class LogStream {
  private LogStream() {}

  static PrintStream to(Logger log) {
    return new PrintStream(new OutputStream() {
      private final ByteArrayOutputStream line = new ByteArrayOutputStream();

      @Override
      public synchronized void write(int b) {
        if (b == '\n') {
          log.info(line.toString(StandardCharsets.UTF_8));
          line.reset();
        } else {
          line.write(b);
        }
      }
    }, true, StandardCharsets.UTF_8);
  }
}
