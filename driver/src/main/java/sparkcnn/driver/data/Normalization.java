package sparkcnn.driver.data;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/** Per-channel (x / 255 - mean) / std. Computed from a training set's blocks or given in a job file. */
public final class Normalization implements Serializable {
  private final float[] mean;
  private final float[] std;

  public Normalization(float[] mean, float[] std) {
    if (mean.length != std.length || mean.length == 0) {
      throw new IllegalArgumentException("normalization: mean and std need one value per channel");
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("normalization: std values must be positive, got " + Arrays.toString(std));
      }
    }
    this.mean = mean.clone();
    this.std = std.clone();
  }

  @Override
  public String toString() {
    return "mean " + Arrays.toString(mean) + " std " + Arrays.toString(std);
  }

  /** Mean and std per channel of pixel values in [0, 1], over all samples of the blocks. */
  public static Normalization of(List<double[]> channelSums) {
    double[] total = new double[channelSums.get(0).length];
    for (double[] s : channelSums) {
      for (int i = 0; i < total.length; i++) {
        total[i] += s[i];
      }
    }
    int c = (total.length - 1) / 2;
    float[] mean = new float[c];
    float[] std = new float[c];
    double n = total[2 * c];
    for (int ch = 0; ch < c; ch++) {
      double m = total[ch] / n;
      mean[ch] = (float) m;
      std[ch] = (float) Math.sqrt(Math.max(total[c + ch] / n - m * m, 1e-12));
    }
    return new Normalization(mean, std);
  }

  /** {sum per channel, sum of squares per channel, pixels per channel} of a block, values in [0, 1]. */
  public static double[] sums(SampleBlock b) {
    int c = b.channels;
    int plane = b.height * b.width;
    double[] s = new double[2 * c + 1];
    for (int i = 0; i < b.size(); i++) {
      for (int ch = 0; ch < c; ch++) {
        int base = (i * c + ch) * plane;
        for (int p = 0; p < plane; p++) {
          double v = (b.pixels[base + p] & 0xff) / 255.0;
          s[ch] += v;
          s[c + ch] += v * v;
        }
      }
    }
    s[2 * c] = (double) b.size() * plane;
    return s;
  }

  /** Adds this normalization to a checkpoint spec as "mean" and "std" (comma-separated). */
  public void putInto(java.util.Map<String, String> spec) {
    spec.put("mean", join(mean));
    spec.put("std", join(std));
  }

  /** The normalization a checkpoint spec holds, or null if it has none. */
  public static Normalization from(java.util.Map<String, String> spec) {
    return spec.containsKey("mean") ? new Normalization(floats(spec.get("mean")), floats(spec.get("std"))) : null;
  }

  private static String join(float[] v) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      sb.append(i > 0 ? "," : "").append(v[i]);
    }
    return sb.toString();
  }

  private static float[] floats(String csv) {
    String[] p = csv.split(",");
    float[] v = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      v[i] = Float.parseFloat(p[i].trim());
    }
    return v;
  }

  public int channels() {
    return mean.length;
  }

  public float[] mean() {
    return mean.clone();
  }

  public float[] std() {
    return std.clone();
  }

  /** Normalizes one (C, H, W) image of values in [0, 1] in place. */
  public void apply(float[] img, int off, int c, int plane) {
    for (int ch = 0; ch < c; ch++) {
      float m = mean[ch % mean.length];
      float inv = 1f / std[ch % std.length];
      for (int p = off + ch * plane, end = p + plane; p < end; p++) {
        img[p] = (img[p] - m) * inv;
      }
    }
  }
}
