package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.SparkTestContext;

/** The held-out validation set: exact per-class shares, disjoint from training, the same on any partitioning. */
class ValidationSplitTest {
  private static List<String> samples(JavaRDD<SampleBlock> rdd) {
    List<String> out = new ArrayList<>();
    for (SampleBlock b : rdd.collect()) {
      int per = b.sampleBytes();
      for (int i = 0; i < b.size(); i++) {
        out.add(b.labels[i] + ":" + java.util.Arrays.hashCode(java.util.Arrays.copyOfRange(b.pixels, i * per,
            (i + 1) * per)));
      }
    }
    return out;
  }

  @Test
  void holdsOutTheShareOfEveryClassAndTheSameSamplesOnAnyPartitioning() {
    JavaSparkContext sc = SparkTestContext.get();
    ValidationSplit.Split three = ValidationSplit.of(Datasets.generated(sc, 600, 1, 8, 8, 5, 3, 2), 0.2, 7, "t");
    ValidationSplit.Split two = ValidationSplit.of(Datasets.generated(sc, 600, 1, 8, 8, 5, 2, 2), 0.2, 7, "t");
    List<String> all = samples(Datasets.generated(sc, 600, 1, 8, 8, 5, 1, 2));
    List<String> held = samples(three.validation());
    List<String> kept = samples(three.train());
    // Per class: round(0.2 * its count) held out, the rest kept; nothing lost, nothing in both.
    for (int c = 0; c < 5; c++) {
      String p = c + ":";
      long n = all.stream().filter(s -> s.startsWith(p)).count();
      assertEquals(Math.round(0.2 * n), held.stream().filter(s -> s.startsWith(p)).count(), "class " + c);
    }
    assertEquals(held.size(), three.validationSamples());
    assertEquals(kept.size(), three.trainSamples());
    assertEquals(new HashSet<>(all), union(held, kept));
    assertEquals(held.size() + kept.size(), all.size());
    assertTrue(java.util.Collections.disjoint(held, kept));
    // Another partitioning holds out the same samples; another seed other ones.
    assertEquals(new HashSet<>(held), new HashSet<>(samples(two.validation())));
    ValidationSplit.Split other = ValidationSplit.of(Datasets.generated(sc, 600, 1, 8, 8, 5, 3, 2), 0.2, 8, "t");
    assertTrue(!new HashSet<>(held).equals(new HashSet<>(samples(other.validation()))));
  }

  @Test
  void aFractionThatHoldsOutNothingIsRefused() {
    JavaSparkContext sc = SparkTestContext.get();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ValidationSplit.of(Datasets.generated(sc, 8, 1, 8, 8, 4, 2, 2), 0.01, 1, "generated data"));
    assertEquals("generated data: a validation fraction of 0.01 of 8 samples leaves no validation samples; choose "
        + "a fraction that holds out some but not all", e.getMessage());
  }

  private static Set<String> union(List<String> a, List<String> b) {
    Set<String> s = new HashSet<>(a);
    s.addAll(b);
    return s;
  }
}
