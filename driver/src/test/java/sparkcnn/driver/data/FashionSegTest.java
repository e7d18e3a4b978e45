package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The composed segmentation set: deterministic, and its masks say exactly which garment each pixel shows. */
class FashionSegTest {
  /**
   * Ten 12x12 "garments": garment k is a solid rectangle of grey 160 + 9k (brighter than any background) whose
   * size depends on k, on black; its label is k.
   */
  private static FashionSeg set() {
    byte[] px = new byte[10 * 144];
    int[] labels = new int[10];
    for (int k = 0; k < 10; k++) {
      labels[k] = k;
      for (int i = 1; i < 4 + k % 8; i++) {
        for (int j = 2; j < 11; j++) {
          px[k * 144 + i * 12 + j] = (byte) (160 + 9 * k);
        }
      }
    }
    return new FashionSeg(px, labels, 12, 12, 32);
  }

  @Test
  void theSameSeedAndIndexGiveTheSameCanvasAndOthersDiffer() {
    FashionSeg s = set();
    FashionSeg.Sample a = s.compose(5, 17);
    FashionSeg.Sample b = set().compose(5, 17);
    assertArrayEquals(a.image(), b.image());
    assertArrayEquals(a.mask(), b.mask());
    assertFalse(Arrays.equals(a.image(), s.compose(6, 17).image()), "another seed");
    assertFalse(Arrays.equals(a.image(), s.compose(5, 18).image()), "another index");
  }

  @Test
  void everyMaskPixelIsTheGarmentTheImageShowsThere() {
    FashionSeg s = set();
    int[] seen = new int[11];
    for (int index = 0; index < 200; index++) {
      FashionSeg.Sample c = s.compose(3, index);
      int garmentsShown = 0;
      boolean[] shown = new boolean[11];
      for (int p = 0; p < c.mask().length; p++) {
        int m = c.mask()[p] & 0xff;
        int v = c.image()[p] & 0xff;
        assertTrue(m <= 10, "mask values are classes 0..10");
        seen[m]++;
        if (m == 0) {
          assertTrue(v <= FashionSeg.BACKGROUND_MAX, "background pixel " + p + " of canvas " + index + " is " + v);
        } else {
          int garment = m - 1;
          // The garment's grey scaled by its gain in [0.75, 1.25]: within that band, above the threshold.
          int grey = 160 + 9 * garment;
          assertTrue(v > FashionSeg.THRESHOLD && v >= Math.floor(grey * 0.75) && v <= Math.min(255,
              Math.ceil(grey * 1.25)), "pixel " + p + " of canvas " + index + ": class " + m + " but grey " + v);
          garmentsShown += shown[m] ? 0 : 1;
          shown[m] = true;
        }
      }
      assertTrue(garmentsShown >= 1 && garmentsShown <= 4, "canvas " + index + " shows " + garmentsShown);
    }
    for (int k = 0; k <= 10; k++) {
      assertTrue(seen[k] > 0, "class " + k + " appears in 200 canvases");
    }
  }

  @Test
  void badGarmentArraysAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new FashionSeg(new byte[10], new int[] {1}, 12, 12, 32));
    assertThrows(IllegalArgumentException.class, () -> new FashionSeg(new byte[144], new int[] {10}, 12, 12, 32));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FashionSeg(new byte[144], new int[] {1}, 12, 12, 16));
    assertTrue(e.getMessage().contains("scaled by 1.6"), e.getMessage());
    assertEquals(11, FashionSeg.CLASSES.size());
  }
}
