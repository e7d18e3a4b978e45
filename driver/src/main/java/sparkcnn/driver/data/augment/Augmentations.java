package sparkcnn.driver.data.augment;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Parses augmentation names as written in job files and applies a list of them in order. */
public final class Augmentations {
  public static final String ALLOWED = "hflip, vflip, crop:PAD, rotate:DEG, shear:DEG, elastic:ALPHA:SIGMA, "
      + "color:BRIGHTNESS:CONTRAST:SATURATION, lighting:STD";

  private Augmentations() {}

  /** One augmentation from its job-file form; fails naming the form and what is allowed. */
  public static Augmentation parse(String spec) {
    String[] p = spec.trim().split(":");
    try {
      return switch (p[0]) {
        case "hflip" -> args(p, 0, new Mirror(true));
        case "vflip" -> args(p, 0, new Mirror(false));
        case "crop" -> args(p, 1, new RandomCrop(Integer.parseInt(p[1])));
        case "rotate" -> args(p, 1, new AffineWarp(Double.parseDouble(p[1]), 0));
        case "shear" -> args(p, 1, new AffineWarp(0, Double.parseDouble(p[1])));
        case "elastic" -> args(p, 2, new ElasticWarp(Double.parseDouble(p[1]), Double.parseDouble(p[2])));
        case "color" -> args(p, 3, new ColorJitter(Double.parseDouble(p[1]), Double.parseDouble(p[2]),
            Double.parseDouble(p[3])));
        case "lighting" -> args(p, 1, new PcaLighting(Double.parseDouble(p[1])));
        default -> throw new IllegalArgumentException("unknown augmentation '" + spec + "' (allowed: " + ALLOWED + ")");
      };
    } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
      throw new IllegalArgumentException("augmentation '" + spec + "': wrong or missing numbers (allowed: " + ALLOWED
          + ")");
    }
  }

  private static Augmentation args(String[] parts, int n, Augmentation a) {
    if (parts.length != n + 1) {
      throw new ArrayIndexOutOfBoundsException();
    }
    return a;
  }

  public static List<Augmentation> parse(List<String> specs) {
    List<Augmentation> out = new ArrayList<>();
    for (String s : specs) {
      out.add(parse(s));
    }
    return out;
  }

  /** The per-sample random source: a pure function of the run's seed and the sample's place in the run. */
  public static SplittableRandom random(long seed, long step, int partition, int position) {
    long h = seed;
    h = h * 0x9E3779B97F4A7C15L + step;
    h = h * 0x9E3779B97F4A7C15L + partition;
    h = h * 0x9E3779B97F4A7C15L + position;
    return new SplittableRandom(h);
  }
}
