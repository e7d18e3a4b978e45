package sparkcnn.driver.data;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A segmentation task composed from Fashion-MNIST garments: 2 to 4 garments per square grey canvas at random
 * positions and scales (0.8 to 1.6), overlapping, on a textured background (noise, stripes or a gradient). The
 * mask holds 0 for background and 1 + the garment's class where a garment shows; a garment's pixels are those of
 * its own image brighter than {@link #THRESHOLD}, and later garments occlude earlier ones. Garments are scaled
 * nearest-neighbour, so every mask pixel is exactly the thresholded garment pixel the image shows there.
 * Sample i of a seed is the same whatever else is composed (its random source depends on (seed, i) only).
 */
public final class FashionSeg {
  public static final List<String> CLASSES = List.of("background", "T-shirt/top", "Trouser", "Pullover", "Dress",
      "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
  /** A garment pixel is one brighter than this (Fashion-MNIST garments are light on black). */
  public static final int THRESHOLD = 40;
  /** Backgrounds stay within [0, BACKGROUND_MAX] grey levels. */
  public static final int BACKGROUND_MAX = 150;

  /** One composed canvas: size x size grey pixels and the mask of class indices, row-major. */
  public record Sample(byte[] image, byte[] mask) {}

  private final byte[] garments;
  private final int[] labels;
  private final int gh;
  private final int gw;
  private final int size;

  /**
   * @param garments n garment images of gh x gw grey pixels, back to back
   * @param labels their classes in [0, 10)
   * @param size the canvas side
   */
  public FashionSeg(byte[] garments, int[] labels, int gh, int gw, int size) {
    if (labels.length == 0 || garments.length != labels.length * gh * gw) {
      throw new IllegalArgumentException("fashion-seg: " + labels.length + " labels for " + garments.length
          + " garment bytes of " + gh + "x" + gw);
    }
    if (size < Math.ceil(Math.max(gh, gw) * 1.6)) {
      throw new IllegalArgumentException("fashion-seg: the canvas (" + size + ") must hold a garment scaled by 1.6 ("
          + (int) Math.ceil(Math.max(gh, gw) * 1.6) + " pixels)");
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= CLASSES.size() - 1) {
        throw new IllegalArgumentException("fashion-seg: garment " + i + " has label " + labels[i]
            + ", expected 0..9");
      }
    }
    this.garments = garments;
    this.labels = labels;
    this.gh = gh;
    this.gw = gw;
    this.size = size;
  }

  public int size() {
    return size;
  }

  /** Canvas number index of the task seeded by seed. */
  public Sample compose(long seed, long index) {
    SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
    byte[] image = new byte[size * size];
    byte[] mask = new byte[size * size];
    background(image, rnd);
    int count = 2 + rnd.nextInt(3);
    for (int g = 0; g < count; g++) {
      int which = rnd.nextInt(labels.length);
      double scale = 0.8 + rnd.nextDouble() * 0.8;
      int sh = (int) Math.round(gh * scale);
      int sw = (int) Math.round(gw * scale);
      int top = rnd.nextInt(size - sh + 1);
      int left = rnd.nextInt(size - sw + 1);
      // A garment a little darker or brighter than its photo, so brightness alone does not give the class away.
      double gain = 0.75 + rnd.nextDouble() * 0.5;
      int base = which * gh * gw;
      for (int i = 0; i < sh; i++) {
        int si = Math.min(gh - 1, (int) ((i + 0.5) / scale));
        for (int j = 0; j < sw; j++) {
          int sj = Math.min(gw - 1, (int) ((j + 0.5) / scale));
          int v = garments[base + si * gw + sj] & 0xff;
          if (v > THRESHOLD) {
            int p = (top + i) * size + left + j;
            image[p] = (byte) Math.max(THRESHOLD + 1, Math.min(255, (int) Math.round(v * gain)));
            mask[p] = (byte) (1 + labels[which]);
          }
        }
      }
    }
    return new Sample(image, mask);
  }

  /** Fills image with one of three textures, each with some pixel noise on top. */
  private void background(byte[] image, SplittableRandom rnd) {
    int kind = rnd.nextInt(3);
    double level = 20 + rnd.nextDouble() * 70;
    double amplitude = 10 + rnd.nextDouble() * 40;
    double angle = rnd.nextDouble() * Math.PI;
    double period = 3 + rnd.nextDouble() * 10;
    double noise = kind == 0 ? 15 + rnd.nextDouble() * 30 : 2 + rnd.nextDouble() * 10;
    double dy = Math.sin(angle);
    double dx = Math.cos(angle);
    for (int i = 0; i < size; i++) {
      for (int j = 0; j < size; j++) {
        double along = i * dy + j * dx;
        double v = switch (kind) {
          case 0 -> level;
          case 1 -> level + amplitude * Math.sin(2 * Math.PI * along / period);
          default -> level + amplitude * (along / (size * Math.sqrt(2)) * 2 - 0.5);
        };
        v += (rnd.nextDouble() * 2 - 1) * noise;
        image[i * size + j] = (byte) Math.max(0, Math.min(BACKGROUND_MAX, (int) Math.round(v)));
      }
    }
  }
}
