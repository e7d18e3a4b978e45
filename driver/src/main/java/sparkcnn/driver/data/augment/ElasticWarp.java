package sparkcnn.driver.data.augment;

import java.util.SplittableRandom;

/**
 * Local (elastic) warping after Simard et al. (2003): a random displacement field, smoothed at scale sigma
 * pixels (random vectors on a grid of that spacing, bilinearly interpolated) and scaled to alpha pixels.
 */
public final class ElasticWarp implements Augmentation {
  private final double alpha;
  private final double sigma;

  public ElasticWarp(double alpha, double sigma) {
    if (!(alpha > 0) || !(sigma >= 1)) {
      throw new IllegalArgumentException("elastic: alpha (pixels) must be positive and sigma at least 1, got " + alpha
          + ", " + sigma);
    }
    this.alpha = alpha;
    this.sigma = sigma;
  }

  @Override
  public Drawn draw(SplittableRandom rnd, int c, int h, int w) {
    int gh = (int) Math.ceil((h - 1) / sigma) + 2;
    int gw = (int) Math.ceil((w - 1) / sigma) + 2;
    double[] gy = new double[gh * gw];
    double[] gx = new double[gh * gw];
    for (int k = 0; k < gy.length; k++) {
      gy[k] = (rnd.nextDouble() * 2 - 1) * alpha;
      gx[k] = (rnd.nextDouble() * 2 - 1) * alpha;
    }
    float[] ys = new float[h * w];
    float[] xs = new float[h * w];
    for (int i = 0; i < h; i++) {
      double u = i / sigma;
      int u0 = (int) u;
      double fu = u - u0;
      for (int j = 0; j < w; j++) {
        double v = j / sigma;
        int v0 = (int) v;
        double fv = v - v0;
        int k = u0 * gw + v0;
        double dy = (1 - fu) * ((1 - fv) * gy[k] + fv * gy[k + 1]) + fu * ((1 - fv) * gy[k + gw] + fv * gy[k + gw + 1]);
        double dx = (1 - fu) * ((1 - fv) * gx[k] + fv * gx[k + 1]) + fu * ((1 - fv) * gx[k + gw] + fv * gx[k + gw + 1]);
        ys[i * w + j] = (float) (i + dy);
        xs[i * w + j] = (float) (j + dx);
      }
    }
    return Warp.through(ys, xs);
  }

  @Override
  public String describe() {
    return "elastic:" + alpha + ":" + sigma;
  }
}
