package sparkcnn.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.data.augment.Augmentation;
import sparkcnn.driver.data.augment.Augmentations;

/** Each augmentation against what it must do, and the per-sample seeding that makes runs reproducible. */
class AugmentationTest {
  private static float[] ramp(int c, int h, int w) {
    float[] img = new float[c * h * w];
    for (int i = 0; i < img.length; i++) {
      img[i] = (i % 97) / 97f;
    }
    return img;
  }

  private static float[] apply(String spec, float[] img, int c, int h, int w, long seed) {
    float[] out = img.clone();
    Augmentations.parse(spec).apply(out, c, h, w, new SplittableRandom(seed), new float[3 * out.length]);
    return out;
  }

  @Test
  void mirrorsFlipOrLeaveAlone() {
    float[] img = ramp(2, 3, 5);
    int flipped = 0;
    for (long seed = 0; seed < 20; seed++) {
      float[] h = apply("hflip", img, 2, 3, 5, seed);
      if (h[0] != img[0]) {
        flipped++;
        for (int ch = 0; ch < 2; ch++) {
          for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 5; j++) {
              assertEquals(img[(ch * 3 + i) * 5 + 4 - j], h[(ch * 3 + i) * 5 + j]);
            }
          }
        }
      } else {
        assertArrayEquals(img, h);
      }
      float[] v = apply("vflip", img, 2, 3, 5, seed);
      assertTrue(v[0] == img[0] || v[0] == img[10]);
    }
    assertTrue(flipped > 3 && flipped < 17, "about half flipped: " + flipped);
  }

  @Test
  void cropShiftsByAtMostThePadding() {
    float[] img = ramp(1, 8, 8);
    for (long seed = 0; seed < 10; seed++) {
      float[] out = apply("crop:2", img, 1, 8, 8, seed);
      boolean matched = false;
      for (int dy = -2; dy <= 2 && !matched; dy++) {
        for (int dx = -2; dx <= 2 && !matched; dx++) {
          boolean all = true;
          for (int i = 0; i < 8 && all; i++) {
            for (int j = 0; j < 8 && all; j++) {
              int si = i + dy;
              int sj = j + dx;
              float expect = si >= 0 && si < 8 && sj >= 0 && sj < 8 ? img[si * 8 + sj] : 0f;
              all = out[i * 8 + j] == expect;
            }
          }
          matched = all;
        }
      }
      assertTrue(matched, "seed " + seed + " is a shift within 2 pixels");
    }
  }

  @Test
  void warpsKeepZeroAnglesExactAndValuesInRange() {
    float[] img = ramp(3, 10, 10);
    assertArrayEquals(img, apply("rotate:0", img, 3, 10, 10, 1), 1e-6f);
    float[] rotated = apply("rotate:30", img, 3, 10, 10, 1);
    assertNotEquals(img[0], rotated[0]);
    for (String spec : new String[] {"rotate:30", "shear:20", "elastic:2:3", "color:0.3:0.3:0.3", "lighting:0.5"}) {
      for (float v : apply(spec, img, 3, 10, 10, 5)) {
        assertTrue(v >= -1e-6f && v <= 1 + 1e-6f, spec + " keeps values in [0, 1]: " + v);
      }
    }
    // A 180-degree rotation of the centre pixel of an odd-sized image keeps it in place.
    float[] odd = ramp(1, 5, 5);
    float[] half = odd.clone();
    Augmentation r = Augmentations.parse("rotate:180");
    SplittableRandom rnd = new SplittableRandom(3);
    r.apply(half, 1, 5, 5, rnd, new float[75]);
    assertEquals(odd[12], half[12], 1e-5f);
  }

  @Test
  void perSampleSeedsAreReproducibleAndDistinct() {
    assertEquals(Augmentations.random(1, 2, 3, 4).nextLong(), Augmentations.random(1, 2, 3, 4).nextLong());
    assertNotEquals(Augmentations.random(1, 2, 3, 4).nextLong(), Augmentations.random(1, 2, 3, 5).nextLong());
    assertNotEquals(Augmentations.random(1, 3, 3, 4).nextLong(), Augmentations.random(1, 2, 3, 4).nextLong());
  }

  @Test
  void badSpecsSayWhatIsAllowed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Augmentations.parse("blur"));
    assertTrue(e.getMessage().contains("unknown augmentation 'blur'") && e.getMessage().contains("hflip"));
    e = assertThrows(IllegalArgumentException.class, () -> Augmentations.parse("crop"));
    assertTrue(e.getMessage().contains("wrong or missing numbers"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Augmentations.parse("crop:0"));
    assertTrue(e.getMessage().contains("positive"), e.getMessage());
  }
}
