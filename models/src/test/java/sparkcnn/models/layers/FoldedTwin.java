package sparkcnn.models.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;

/**
 * What the inference graph's layer tests share: a model in evaluation mode with parameters moved off their initial
 * values (biases, betas, means away from 0) and positive random statistics, its twin given the same values and
 * folded, and the two compared on random inputs.
 */
final class FoldedTwin {
  final Model eval;
  final Model folded;

  /** build twice (same architecture): the first initialized and made random, the second the same and folded. */
  FoldedTwin(Supplier<Model> build, long seed, SplittableRandom rnd, float paramNoise) {
    eval = build.get().init(seed);
    float[] params = eval.params();
    for (int i = 0; i < params.length; i++) {
      params[i] += paramNoise * (float) rnd.nextGaussian();
    }
    float[] state = eval.state();
    for (int i = 0; i < state.length; i++) {
      state[i] = 0.5f + (float) rnd.nextDouble();
    }
    folded = build.get();
    System.arraycopy(params, 0, folded.params(), 0, params.length);
    System.arraycopy(state, 0, folded.state(), 0, state.length);
    folded.foldForInference();
  }

  /** Both give the same outputs (1e-4, relative past 1) on a random input of this shape. */
  void assertSameOutputs(SplittableRandom rnd, int[] shape, String what) {
    Tensor x = Tensor.zeros(shape);
    for (int i = 0; i < x.data.length; i++) {
      x.data[i] = (float) rnd.nextGaussian();
    }
    float[] expected = eval.root().forward(x, false).toArray();
    float[] actual = folded.root().forward(x, false).toArray();
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), what + " at " + i);
    }
  }
}
