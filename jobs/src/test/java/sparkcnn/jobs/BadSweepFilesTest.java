package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import sparkcnn.jobs.config.ConfigException;
import sparkcnn.jobs.config.JobFile;

/**
 * Mistakes in a sweep's scaling lists stop it before any trial, naming the key: an empty list made no trial and
 * ended in "every trial failed (first: no error recorded)", and 1e400 reached the scaling as Infinity.
 */
class BadSweepFilesTest {
  private static final String FILE = "../conf/jobs/fashion-scaling-sweep.yaml";

  private static String error(String override) {
    return assertThrows(ConfigException.class, () -> JobFile.load(FILE, SweepCommand.schema(), List.of(override)),
        override).getMessage();
  }

  @Test
  void scalingListsMustHoldFiniteNumbers() {
    for (String key : new String[] {"grid.phi", "grid.alpha", "grid.beta", "grid.gamma", "compound.phi"}) {
      String empty = error(key + "=[]");
      assertTrue(empty.contains(key + ": got '[]', expected a non-empty list of numbers"), empty);
    }
    String infinite = error("grid.phi=[0, 1e400]");
    assertTrue(infinite.contains("grid.phi") && infinite.contains("item 'Infinity' is not: a finite non-negative"),
        infinite);
    String negative = error("grid.beta=[-1.1]");
    assertTrue(negative.contains("grid.beta") && negative.contains("'-1.1'"), negative);
  }
}
