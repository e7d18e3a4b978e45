package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.data.augment.Augmentation;
import sparkcnn.driver.data.augment.Augmentations;

/**
 * Masks receive their image's geometric transform: on an image of two shapes (white on black) whose mask is the
 * thresholded image, the mask after any augmentation still equals the thresholded augmented image (exactly for
 * flips and crops; warps interpolate the image bilinearly and the mask nearest, so edge pixels may differ).
 */
class JointAugmentationTest {
  private static final int H = 24;
  private static final int W = 20;

  /** An asymmetric picture: an L-shaped bar in the upper left and a disk lower right, values 0 or 1. */
  private static float[] image() {
    float[] img = new float[H * W];
    for (int i = 0; i < H; i++) {
      for (int j = 0; j < W; j++) {
        boolean bar = i >= 2 && i < 12 && j >= 3 && j < 6 || i >= 9 && i < 12 && j >= 3 && j < 11;
        boolean disk = (i - 17) * (i - 17) + (j - 13) * (j - 13) <= 16;
        img[i * W + j] = bar || disk ? 1f : 0f;
      }
    }
    return img;
  }

  private static int[] threshold(float[] img) {
    int[] m = new int[img.length];
    for (int p = 0; p < img.length; p++) {
      m[p] = img[p] > 0.5f ? 1 : 0;
    }
    return m;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hflip", "vflip", "crop:5", "rotate:35", "shear:25", "elastic:2.5:4"})
  void theMaskMovesWithItsImage(String spec) {
    Augmentation a = Augmentations.parse(spec);
    boolean exact = !spec.startsWith("rotate") && !spec.startsWith("shear") && !spec.startsWith("elastic");
    int moved = 0;
    for (long seed = 0; seed < 20; seed++) {
      float[] img = image();
      int[] mask = threshold(img);
      Augmentation.Drawn d = a.draw(new SplittableRandom(seed), 1, H, W);
      d.image(img, 1, H, W, new float[3 * H * W]);
      d.mask(mask, H, W, 0);
      int[] expected = threshold(img);
      int differ = 0;
      for (int p = 0; p < mask.length; p++) {
        differ += mask[p] != expected[p] ? 1 : 0;
      }
      if (exact) {
        assertArrayEquals(expected, mask, spec + " seed " + seed);
      } else {
        assertTrue(differ <= 0.03 * mask.length, spec + " seed " + seed + ": " + differ + " pixels disagree");
      }
      moved += java.util.Arrays.equals(mask, threshold(image())) ? 0 : 1;
    }
    assertTrue(moved >= 5, spec + " moved the mask in only " + moved + " of 20 draws");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"color:0.4:0.4:0", "lighting:0.5"})
  void colourAugmentationsLeaveTheMaskAlone(String spec) {
    Augmentation a = Augmentations.parse(spec);
    for (long seed = 0; seed < 5; seed++) {
      float[] img = image();
      int[] mask = threshold(img);
      Augmentation.Drawn d = a.draw(new SplittableRandom(seed), 1, H, W);
      d.image(img, 1, H, W, new float[3 * H * W]);
      d.mask(mask, H, W, 0);
      assertArrayEquals(threshold(image()), mask);
    }
  }

  @Test
  void pixelsBroughtInFromOutsideGetTheFillClass() {
    Augmentation crop = Augmentations.parse("crop:6");
    int[] mask = new int[H * W];
    java.util.Arrays.fill(mask, 3);
    boolean filled = false;
    for (long seed = 0; seed < 10 && !filled; seed++) {
      int[] m = mask.clone();
      crop.draw(new SplittableRandom(seed), 1, H, W).mask(m, H, W, 255);
      for (int v : m) {
        assertTrue(v == 3 || v == 255);
        filled |= v == 255;
      }
    }
    assertTrue(filled);
  }

  @Test
  void batchMakerGivesPerPixelLabelsMovedWithTheImages() {
    int n = 6;
    byte[] px = new byte[n * H * W];
    byte[] masks = new byte[n * H * W];
    float[] img = image();
    for (int s = 0; s < n; s++) {
      for (int p = 0; p < H * W; p++) {
        px[s * H * W + p] = (byte) (img[p] > 0.5f ? 255 : 0);
        masks[s * H * W + p] = (byte) (img[p] > 0.5f ? 1 + s % 3 : 0);
      }
    }
    SampleBlock block = new SampleBlock(1, H, W, px, masks, null);
    assertEquals(n, block.size());
    List<Augmentation> augs = Augmentations.parse(List.of("hflip", "vflip", "crop:4", "color:0.1:0.1:0"));
    BatchMaker maker = new BatchMaker();
    var x = maker.make(block, null, 0, n, augs, null, 11, 3, 0);
    int[] labels = maker.labels();
    assertEquals(n * H * W, labels.length);
    for (int s = 0; s < n; s++) {
      for (int p = 0; p < H * W; p++) {
        // The colour jitter moves grey levels a little; garment and background stay apart around 0.5.
        boolean on = x.data[x.offset + s * H * W + p] > 0.5f;
        assertEquals(on ? 1 + s % 3 : 0, labels[s * H * W + p], "sample " + s + " pixel " + p);
      }
    }
  }

  @Test
  void classificationBatchesAreTheImagesTheAugmentationsAlwaysMade() {
    // The old single-call path (apply) and the draw-then-apply path give the same image for the same draws.
    for (String spec : new String[] {"hflip", "crop:3", "rotate:20", "elastic:2:3", "color:0.2:0.2:0.2"}) {
      Augmentation a = Augmentations.parse(spec);
      float[] one = image();
      float[] two = image();
      a.apply(one, 1, H, W, new SplittableRandom(42), new float[3 * H * W]);
      a.draw(new SplittableRandom(42), 1, H, W).image(two, 1, H, W, new float[3 * H * W]);
      assertArrayEquals(one, two, spec);
    }
  }
}
