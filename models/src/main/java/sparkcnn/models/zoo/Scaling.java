package sparkcnn.models.zoo;

import java.io.Serializable;

/**
 * Compound scaling (Tan and Le, 2019): width multiplies channels, depth multiplies block repeats, resolution
 * multiplies the input size. phi scales all three at once with d = alpha^phi, w = beta^phi, r = gamma^phi
 * (alpha * beta^2 * gamma^2 ~ 2, so each unit of phi about doubles the multiply-adds).
 */
public record Scaling(double width, double depth, double resolution) implements Serializable {
  public static final double ALPHA = 1.2;
  public static final double BETA = 1.1;
  public static final double GAMMA = 1.15;
  public static final Scaling NONE = new Scaling(1, 1, 1);

  public Scaling {
    if (!(width > 0) || !(depth > 0) || !(resolution > 0) || Double.isInfinite(width + depth + resolution)) {
      throw new IllegalArgumentException("scaling: width, depth and resolution multipliers must be positive, got "
          + width + ", " + depth + ", " + resolution);
    }
  }

  /** The multipliers of compound coefficient phi with EfficientNet's alpha, beta, gamma. */
  public static Scaling phi(double phi) {
    return phi(phi, ALPHA, BETA, GAMMA);
  }

  /** The multipliers of compound coefficient phi for other base coefficients (a sweep's grid). */
  public static Scaling phi(double phi, double alpha, double beta, double gamma) {
    return new Scaling(Math.pow(beta, phi), Math.pow(alpha, phi), Math.pow(gamma, phi));
  }

  /** This scaling applied on top of another (a family's own coefficients, then the user's). */
  public Scaling times(Scaling o) {
    return new Scaling(width * o.width, depth * o.depth, resolution * o.resolution);
  }

  /**
   * c channels scaled by the width: rounded to a multiple of 8, never below 90% of the unrounded value (nor below
   * 8). At width 1 channels stay as published.
   */
  public int channels(int c) {
    return width == 1 ? c : roundChannels(c * width);
  }

  public static int roundChannels(double v) {
    int rounded = Math.max(8, (int) (v + 4) / 8 * 8);
    return rounded < 0.9 * v ? rounded + 8 : rounded;
  }

  /** n repeats scaled by the depth, rounded up. */
  public int repeats(int n) {
    return (int) Math.ceil(n * depth - 1e-9);
  }

  /** An input size scaled by the resolution, rounded to the nearest pixel. */
  public int size(int pixels) {
    return (int) Math.round(pixels * resolution);
  }

  public boolean isNone() {
    return width == 1 && depth == 1 && resolution == 1;
  }
}
