package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** select_classes and fraction: renumbered labels, the share kept, and the same samples on any partitioning. */
class SubsetTest {
  private static SampleBlock block(int from, int to) {
    return Datasets.generate(from, to, 1, 8, 8, 10, 3);
  }

  @Test
  void keepsTheListedClassesRenumberedInTheirOrder() {
    SampleBlock all = block(0, 2000);
    SampleBlock s = Subset.of(all, new int[] {7, 2}, 1, 1);
    long sevens = Arrays.stream(all.labels).filter(y -> y == 7).count();
    long twos = Arrays.stream(all.labels).filter(y -> y == 2).count();
    assertEquals(sevens, Arrays.stream(s.labels).filter(y -> y == 0).count());
    assertEquals(twos, Arrays.stream(s.labels).filter(y -> y == 1).count());
    assertEquals(sevens + twos, s.size());
    // The first kept sample is the first 7 or 2 of the block, pixels and all.
    int first = 0;
    while (all.labels[first] != 7 && all.labels[first] != 2) {
      first++;
    }
    int per = all.sampleBytes();
    assertArrayEquals(Arrays.copyOfRange(all.pixels, first * per, (first + 1) * per), Arrays.copyOf(s.pixels, per));
  }

  @Test
  void aFractionKeepsAboutThatShareAndTheSameSamplesOnAnyPartitioning() {
    SampleBlock whole = Subset.of(block(0, 4000), new int[0], 0.1, 9);
    assertTrue(whole.size() > 320 && whole.size() < 480, "kept " + whole.size() + " of 4000");
    SampleBlock a = Subset.of(block(0, 1500), new int[0], 0.1, 9);
    SampleBlock b = Subset.of(block(1500, 4000), new int[0], 0.1, 9);
    assertEquals(whole.size(), a.size() + b.size());
    byte[] joined = Arrays.copyOf(a.pixels, a.pixels.length + b.pixels.length);
    System.arraycopy(b.pixels, 0, joined, a.pixels.length, b.pixels.length);
    assertArrayEquals(whole.pixels, joined);
    // Another seed keeps other samples.
    SampleBlock other = Subset.of(block(0, 4000), new int[0], 0.1, 10);
    assertTrue(!Arrays.equals(whole.pixels, other.pixels));
  }
}
