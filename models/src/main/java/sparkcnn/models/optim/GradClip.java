package sparkcnn.models.optim;

/** Global-norm gradient clipping: scales all gradients so their L2 norm is at most maxNorm. */
public final class GradClip {
  private GradClip() {}

  /** Returns the norm before clipping. */
  public static double clipGlobalNorm(float[] grads, double maxNorm) {
    double s = 0;
    for (float g : grads) {
      s += (double) g * g;
    }
    double norm = Math.sqrt(s);
    if (norm > maxNorm && norm > 0) {
      float scale = (float) (maxNorm / norm);
      for (int i = 0; i < grads.length; i++) {
        grads[i] *= scale;
      }
    }
    return norm;
  }
}
