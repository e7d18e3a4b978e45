package sparkcnn.models.optim;

import sparkcnn.kernels.Parallel;

/**
 * Global-norm gradient clipping: scales all gradients so their L2 norm is at most maxNorm. The norm and the
 * scaling are separate so a sharded step can add its shards' squared norms before it scales its own shard.
 */
public final class GradClip {
  private GradClip() {}

  /** Sum of squares, in double (one shard's share of the squared global norm). */
  public static double squaredNorm(float[] g) {
    double s = 0;
    for (float v : g) {
      s += (double) v * v;
    }
    return s;
  }

  /** Scales g by maxNorm / norm when norm (of the whole gradient g belongs to) exceeds maxNorm. */
  public static void clipTo(float[] g, double norm, double maxNorm) {
    if (norm > maxNorm && norm > 0) {
      float scale = (float) (maxNorm / norm);
      Parallel.forRange(g.length, (lo, hi, chunk) -> {
        for (int i = lo; i < hi; i++) {
          g[i] *= scale;
        }
      });
    }
  }

  /** Returns the norm before clipping. */
  public static double clipGlobalNorm(float[] grads, double maxNorm) {
    double norm = Math.sqrt(squaredNorm(grads));
    clipTo(grads, norm, maxNorm);
    return norm;
  }
}
