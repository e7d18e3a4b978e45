package sparkcnn.models.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;
import sparkcnn.models.Model;

/**
 * EfficientNet's gate and projection with the gates applied inside the projection equal the two layers run one by
 * one in evaluation mode: planes the pointwise kernel takes an image at a time (16x16, 17x16, and more filters than
 * pixels) and several (8x8, 5x7), batch 1, 3 and 1 again with the gates apart per image.
 */
class GateIntoPointwiseTest {
  private static Model block(int hidden, int out, int h, int w) {
    return new Model("gated", Sequential.of(
        Sequential.of(new Conv2d(4, hidden, 3, 1, 1, 1, 1, false), new BatchNorm2d(hidden),
            new Activation(Activation.Kind.SILU)),
        new SqueezeExcite(hidden, 3, Activation.Kind.SILU),
        Sequential.of(new Conv2d(hidden, out, 1, 1, 0, 1, 1, false), new BatchNorm2d(out))), 4, h, w);
  }

  @Test
  void gatesThroughTheWeightsMatchTheLayersRunOneByOne() {
    SplittableRandom rnd = new SplittableRandom(21);
    int[][] cases = {{24, 8, 16, 16}, {12, 20, 17, 16}, {16, 8, 8, 8}, {24, 300, 16, 16}, {20, 12, 5, 7}};
    for (int[] c : cases) {
      FoldedTwin twin = new FoldedTwin(() -> block(c[0], c[1], c[2], c[3]), 5, rnd, 0.1f);
      Layer fused = twin.folded.root().children().get(1);
      assertInstanceOf(GateIntoPointwise.class, fused, "the gate and the projection");
      assertInstanceOf(Identity.class, ((Sequential) twin.folded.root().children().get(2)).children().get(0));
      // Batch 1 again after 3: the buffers shrink into their arrays (Buffers.ensure).
      for (int n : new int[] {1, 3, 1}) {
        twin.assertSameOutputs(rnd, new int[] {n, 4, c[2], c[3]}, java.util.Arrays.toString(c) + " batch " + n);
      }
    }
  }

  @Test
  void aGateBeforeAnythingButAPlainPointwiseConvolutionStays() {
    Model m = new Model("se", Sequential.of(new SqueezeExcite(4, 2, Activation.Kind.RELU),
        Sequential.of(new Conv2d(4, 4, 3, 1, 1, 1, 1, false), new BatchNorm2d(4)),
        new SqueezeExcite(4, 2, Activation.Kind.RELU)), 4, 16, 16).init(1);
    m.foldForInference();
    m.root().children().forEach(l -> assertTrue(!(l instanceof GateIntoPointwise), l.describe()));
    GateIntoPointwise pair = new GateIntoPointwise(new SqueezeExcite(4, 2, Activation.Kind.RELU),
        new Conv2d(4, 4, 1, 1, 0, 1, 1, false));
    assertThrows(IllegalStateException.class, () -> pair.forward(Tensor.zeros(1, 4, 16, 16), true));
    assertThrows(IllegalStateException.class, () -> pair.backward(Tensor.zeros(1, 4, 16, 16)));
  }
}
