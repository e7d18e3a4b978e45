package sparkcnn.models.optim;

import sparkcnn.kernels.Parallel;

/** RMSProp (Hinton's lecture 6e; PyTorch's form): v = alpha v + (1 - alpha) g^2, p -= lr g / (sqrt(v) + eps), with momentum. */
public final class RmsProp implements Optimizer {
  private final float alpha;
  private final float eps;
  private final float momentum;
  private final float weightDecay;
  private float[] v;
  private float[] buf;
  private long steps;

  public RmsProp(float alpha, float eps, float momentum, float weightDecay) {
    if (!(alpha >= 0 && alpha < 1 && eps > 0 && momentum >= 0 && weightDecay >= 0)) {
      throw new IllegalArgumentException("rmsprop: alpha in [0, 1), eps > 0, momentum and weight decay >= 0");
    }
    this.alpha = alpha;
    this.eps = eps;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  @Override
  public void step(float[] params, float[] grads, boolean[] decayMask, float[] rates, int frozen,
      float lr) {
    if (v == null) {
      v = new float[params.length];
      buf = new float[params.length];
    }
    // Millions of independent elements while the executors wait: spread them over the driver's cores.
    Parallel.forRange(params.length - frozen, (lo, hi, chunk) -> update(params, grads, decayMask, rates, frozen + lo,
        frozen + hi, lr));
    steps++;
  }

  private void update(float[] params, float[] grads, boolean[] decayMask, float[] rates, int from, int to,
      float baseLr) {
    for (int i = from; i < to; i++) {
      float lr = rates == null ? baseLr : baseLr * rates[i];
      float g = grads[i] + (decayMask[i] ? weightDecay * params[i] : 0f);
      v[i] = alpha * v[i] + (1 - alpha) * g * g;
      float update = (float) (g / (Math.sqrt(v[i]) + eps));
      if (momentum != 0f) {
        buf[i] = momentum * buf[i] + update;
        update = buf[i];
      }
      params[i] -= lr * update;
    }
  }

  @Override
  public float[][] state() {
    return new float[][] {v, buf};
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
    v = s[0];
    buf = s[1];
  }

  @Override
  public String describe() {
    return "rmsprop alpha " + alpha + " momentum " + momentum;
  }
}
