package sparkcnn.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.data.SampleBlock;

/** The feature cache's part files: round trips with and without masks; damage is found and named. */
class FeatureFileTest {
  private static SampleBlock block(boolean masks) {
    float[] f = new float[3 * 4 * 2 * 2];
    for (int i = 0; i < f.length; i++) {
      f[i] = i * 0.25f - 3;
    }
    SampleBlock b = SampleBlock.ofFeatures(new int[] {4, 2, 2}, f, new int[] {0, 2, 1});
    if (masks) {
      b.masks = new byte[3 * 6 * 6];
      for (int i = 0; i < b.masks.length; i++) {
        b.masks[i] = (byte) (i % 11);
      }
    }
    return b;
  }

  @Test
  void roundTrips() throws IOException {
    for (boolean masks : new boolean[] {false, true}) {
      SampleBlock b = block(masks);
      SampleBlock back = FeatureCache.decode(FeatureCache.encode(b), "part");
      assertArrayEquals(b.features, back.features);
      assertArrayEquals(b.labels, back.labels);
      assertArrayEquals(new int[] {4, 2, 2}, new int[] {back.channels, back.height, back.width});
      if (masks) {
        assertArrayEquals(b.masks, back.masks);
      } else {
        assertNull(back.masks);
      }
    }
  }

  @Test
  void damageIsFoundAndNamed() {
    byte[] bytes = FeatureCache.encode(block(true));
    byte[] flipped = bytes.clone();
    flipped[40] ^= 1;
    assertTrue(assertThrows(IOException.class, () -> FeatureCache.decode(flipped, "p1")).getMessage()
        .contains("p1: damaged feature file (CRC mismatch)"));
    byte[] cut = Arrays.copyOf(bytes, bytes.length / 2);
    IOException e = assertThrows(IOException.class, () -> FeatureCache.decode(cut, "p2"));
    assertTrue(e.getMessage().startsWith("p2: "), e.getMessage());
    byte[] other = "not a feature file at all".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertTrue(assertThrows(IOException.class, () -> FeatureCache.decode(other, "p3")).getMessage()
        .contains("p3: not a SparkCNN feature file"));
  }
}
