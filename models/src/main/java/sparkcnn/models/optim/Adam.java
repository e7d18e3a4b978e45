package sparkcnn.models.optim;

import sparkcnn.kernels.Parallel;

/**
 * Adam (Kingma and Ba, 2015) with bias correction; with decoupled = true it is AdamW (Loshchilov and Hutter,
 * 2019): weight decay shrinks the parameter directly (p -= lr wd p) instead of joining the gradient.
 */
public final class Adam implements Optimizer {
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final boolean decoupled;
  private float[] m;
  private float[] v;
  private long steps;

  public Adam(float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0 && weightDecay >= 0)) {
      throw new IllegalArgumentException("adam: betas must be in [0, 1), eps > 0, weight decay >= 0");
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.decoupled = decoupled;
  }

  @Override
  public void step(float[] params, float[] grads, boolean[] decayMask, float[] rates, int frozen,
      float lr) {
    if (m == null) {
      m = new float[params.length];
      v = new float[params.length];
    }
    steps++;
    double c1 = 1 - Math.pow(beta1, steps);
    double c2 = 1 - Math.pow(beta2, steps);
    // Millions of independent elements while the executors wait: spread them over the driver's cores.
    Parallel.forRange(params.length - frozen, (lo, hi, chunk) -> update(params, grads, decayMask, rates, frozen + lo,
        frozen + hi, lr, c1, c2));
  }

  private void update(float[] params, float[] grads, boolean[] decayMask, float[] rates, int from, int to,
      float baseLr, double c1,
      double c2) {
    for (int i = from; i < to; i++) {
      float lr = rates == null ? baseLr : baseLr * rates[i];
      boolean decay = decayMask[i] && weightDecay != 0f;
      float g = grads[i] + (decay && !decoupled ? weightDecay * params[i] : 0f);
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      if (decay && decoupled) {
        params[i] -= lr * weightDecay * params[i];
      }
      params[i] -= (float) (lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps));
    }
  }

  @Override
  public float[][] state() {
    return new float[][] {m, v};
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public void setSteps(long steps) {
    this.steps = steps;
  }

  @Override
  public void setState(float[][] s) {
    m = s[0];
    v = s[1];
  }

  @Override
  public String describe() {
    return (decoupled ? "adamw" : "adam") + " betas " + beta1 + "/" + beta2 + " weight decay " + weightDecay;
  }
}
