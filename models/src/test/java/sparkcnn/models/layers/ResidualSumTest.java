package sparkcnn.models.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;
import sparkcnn.models.Model;

/**
 * A residual block whose ReLU or ReLU6 runs in the sum's pass gives the floats of the same block with the sum and
 * the activation apart (the activation as a layer after a block without one): outputs, input gradients and
 * parameter gradients, identity and projection shortcuts, batch 1 and 3, inputs that put sums on both sides of 0
 * and 6.
 */
class ResidualSumTest {
  private static Layer body() {
    return Sequential.of(new Conv2d(4, 4, 3, 1, 1, 1, 1, true), new Activation(Activation.Kind.TANH),
        new Conv2d(4, 4, 3, 1, 1, 1, 1, true));
  }

  @Test
  void theActivationInTheSumsPassGivesTheSameFloatsAsTwoPasses() {
    for (Activation.Kind kind : new Activation.Kind[] {Activation.Kind.RELU, Activation.Kind.RELU6}) {
      for (boolean projection : new boolean[] {false, true}) {
        Model fused = new Model("fused", Sequential.of(new Residual(body(),
            projection ? new Conv2d(4, 4, 1, 1, 0, 1, 1, false) : null, new Activation(kind))), 4, 6, 5).init(3);
        Model apart = new Model("apart", Sequential.of(new Residual(body(),
            projection ? new Conv2d(4, 4, 1, 1, 0, 1, 1, false) : null, null), new Activation(kind)), 4, 6, 5)
            .init(3);
        assertArrayEquals(fused.params(), apart.params());
        SplittableRandom rnd = new SplittableRandom(kind.ordinal() * 2 + (projection ? 1 : 0));
        for (int n : new int[] {1, 3}) {
          Tensor x = Tensor.zeros(n, 4, 6, 5);
          Tensor dy = Tensor.zeros(n, 4, 6, 5);
          for (int i = 0; i < x.size(); i++) {
            x.data[i] = (float) (8 * rnd.nextGaussian());
            dy.data[i] = (float) rnd.nextGaussian();
          }
          String what = kind + (projection ? " projection" : " identity") + " batch " + n;
          assertArrayEquals(apart.forward(x, true).toArray(), fused.forward(x, true).toArray(), what + " outputs");
          java.util.Arrays.fill(fused.grads(), 0f);
          java.util.Arrays.fill(apart.grads(), 0f);
          assertArrayEquals(apart.root().backward(dy).toArray(), fused.root().backward(dy).toArray(), what + " dx");
          assertArrayEquals(apart.grads(), fused.grads(), what + " parameter gradients");
        }
        assertTrue(!((Residual) fused.root().children().get(0)).wroteSum(), "the fused block wrote no sum");
        assertTrue(((Residual) apart.root().children().get(0)).wroteSum(), "the block without activation did");
      }
    }
  }

  @Test
  void onlyActivationsWhoseOutputGivesTheirDerivativeSumInOnePass() {
    assertThrows(IllegalStateException.class, () -> new Activation(Activation.Kind.SILU)
        .forwardSum(Tensor.zeros(1, 2), Tensor.zeros(1, 2)));
  }
}
