package sparkcnn.driver.data.augment;

import java.util.SplittableRandom;

/**
 * AlexNet's lighting noise: adds sum_k alpha_k lambda_k v_k to every RGB pixel, alpha_k ~ N(0, std), with the
 * eigenvalues lambda and eigenvectors v of ImageNet's RGB covariance (pixel values in [0, 1]). Grey images get
 * the same noise through the luminance weights' direction.
 */
public final class PcaLighting implements Augmentation {
  private static final double[] EIGVAL = {0.2175, 0.0188, 0.0045};
  private static final double[][] EIGVEC = {
      {-0.5675, 0.7192, 0.4009}, {-0.5808, -0.0045, -0.8140}, {-0.5836, -0.6948, 0.4203}};
  private final double std;

  public PcaLighting(double std) {
    if (!(std > 0)) {
      throw new IllegalArgumentException("lighting: the noise std must be positive, got " + std);
    }
    this.std = std;
  }

  @Override
  public Drawn draw(SplittableRandom rnd, int c, int h, int w) {
    double[] alpha = {rnd.nextGaussian() * std, rnd.nextGaussian() * std, rnd.nextGaussian() * std};
    return (Photometric) (img, ch, ih, iw, scratch) -> shift(img, ch, ih, iw, alpha);
  }

  private static void shift(float[] img, int c, int h, int w, double[] alpha) {
    int plane = h * w;
    double[] shift = new double[3];
    for (int ch = 0; ch < 3; ch++) {
      for (int k = 0; k < 3; k++) {
        shift[ch] += EIGVEC[ch][k] * alpha[k] * EIGVAL[k];
      }
    }
    if (c != 3) {
      shift[0] = 0.299 * shift[0] + 0.587 * shift[1] + 0.114 * shift[2];
    }
    for (int ch = 0; ch < c; ch++) {
      float s = (float) shift[Math.min(ch, 2)];
      for (int p = 0; p < plane; p++) {
        img[ch * plane + p] = Math.min(1f, Math.max(0f, img[ch * plane + p] + s));
      }
    }
  }

  @Override
  public String describe() {
    return "lighting:" + std;
  }
}
