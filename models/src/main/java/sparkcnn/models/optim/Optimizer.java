package sparkcnn.models.optim;

/**
 * Updates the flat parameter buffer from the flat gradient buffer. Weight decay applies where the mask says so
 * (conv and linear weights; not biases and normalization parameters). Parameter i moves at lr * rates[i]
 * (discriminative learning rates for fine-tuning; null: lr everywhere). The first {@code frozen} parameters are
 * left untouched (layer freezing for transfer learning).
 */
public interface Optimizer {
  void step(float[] params, float[] grads, boolean[] decayMask, float[] rates, int frozen, float lr);

  /** The optimizer's own buffers (momentum, moments), for checkpoints; same order every time; null before a step. */
  float[][] state();

  /** Restores buffers taken from {@link #state()} of the same kind of optimizer. */
  void setState(float[][] state);

  /** Steps taken so far (Adam's bias correction depends on it); restored from checkpoints. */
  long steps();

  void setSteps(long steps);

  String describe();
}
