package sparkcnn.models;

/**
 * Hands out consecutive slices of a model's flat buffers while the model walks its layers, so every view's
 * offset comes from the walk (offset += n), never from a hand-kept table. It also records which parameters take
 * weight decay (conv and linear weights do; biases and normalization parameters do not, unless asked).
 */
public final class Binder {
  public final float[] params;
  public final float[] grads;
  public final float[] state;
  /** Where training forwards add their batch statistics, laid out like state (see Model#batchStatistics). */
  public final float[] stats;
  private final boolean[] decay;
  private int paramOffset;
  private int stateOffset;

  Binder(float[] params, float[] grads, float[] state, float[] stats, boolean[] decay) {
    this.params = params;
    this.grads = grads;
    this.state = state;
    this.stats = stats;
    this.decay = decay;
  }

  /** Reserves n parameters (and their gradients) and returns their offset. */
  public int params(int n, boolean weightDecay) {
    int off = paramOffset;
    paramOffset += n;
    if (paramOffset > params.length) {
      throw new IllegalStateException("layers asked for more parameters than they declared (" + paramOffset + " > "
          + params.length + ")");
    }
    for (int i = off; i < paramOffset; i++) {
      decay[i] = weightDecay;
    }
    return off;
  }

  /** Reserves n floats of state and returns their offset. */
  public int state(int n) {
    int off = stateOffset;
    stateOffset += n;
    if (stateOffset > state.length) {
      throw new IllegalStateException("layers asked for more state than they declared");
    }
    return off;
  }

  int paramsUsed() {
    return paramOffset;
  }

  int stateUsed() {
    return stateOffset;
  }
}
