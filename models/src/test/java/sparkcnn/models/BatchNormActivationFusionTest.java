package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Sequential;

/**
 * A training sequence runs batch norm and the activation after it as one layer (for activations whose derivative
 * comes from their input). The same layers run one by one, each with its own passes, are the reference: outputs,
 * parameter gradients and input gradients must agree. Sigmoid, whose derivative needs its output, stays unfused.
 */
class BatchNormActivationFusionTest {
  private static List<Layer> layers(Activation.Kind kind) {
    return List.of(new Conv2d(3, 5, 3, 1, 1, 1, 1, false), new BatchNorm2d(5), new Activation(kind),
        new Conv2d(5, 40, 3, 2, 1, 1, 1, false), new BatchNorm2d(40), new Activation(kind));
  }

  @ParameterizedTest
  @EnumSource(value = Activation.Kind.class, names = {"RELU", "RELU6", "SILU", "SIGMOID"})
  void fusedSequenceMatchesTheLayersRunOneByOne(Activation.Kind kind) {
    Model fused = new Model("fused", new Sequential(layers(kind)), 3, 9, 7).init(5);
    Model separate = new Model("separate", new Sequential(layers(kind)), 3, 9, 7).init(5);
    SplittableRandom rnd = new SplittableRandom(6);
    for (Layer l : fused.root().children()) {
      if (l instanceof BatchNorm2d bn) { // gamma 4: ReLU6's upper kink is reached too; beta away from 0
        java.util.Arrays.fill(fused.params(), bn.paramOffset(), bn.paramOffset() + bn.channels(), 4f);
        for (int c = 0; c < bn.channels(); c++) {
          fused.params()[bn.paramOffset() + bn.channels() + c] = (float) (rnd.nextDouble() - 0.5);
        }
      }
    }
    System.arraycopy(fused.params(), 0, separate.params(), 0, fused.paramCount());
    Tensor x = ModelGradientTest.randomInput(rnd, 4, 3, 9, 7);
    Tensor dy = ModelGradientTest.randomInput(rnd, fused.outputShape(4));

    fused.zeroGrad();
    float[] yFused = fused.forward(x, true).toArray();
    for (Layer l : fused.root().children()) {
      if (l instanceof Activation a) {
        assertEquals(kind != Activation.Kind.SIGMOID, a.ranInsideNorm(), kind + " ran inside the batch norm");
      }
    }
    float[] dxFused = fused.backward(dy).toArray();

    separate.zeroGrad();
    Tensor t = x;
    List<Layer> children = separate.root().children();
    for (Layer l : children) {
      t = l.forward(t, true);
    }
    float[] ySeparate = t.toArray();
    Tensor d = dy;
    for (int i = children.size() - 1; i >= 0; i--) {
      d = children.get(i).backward(d);
    }
    close("output", ySeparate, yFused);
    close("input gradient", d.toArray(), dxFused);
    close("parameter gradients", separate.grads(), fused.grads());
    if (kind == Activation.Kind.RELU6) {
      int capped = 0;
      for (float v : yFused) {
        capped += v == 6f ? 1 : 0;
      }
      assertTrue(capped > 0, "some outputs at ReLU6's cap");
    }
  }

  /**
   * In evaluation every activation after a batch norm runs inside its one pass (sigmoid and tanh too: there is no
   * backward to need their outputs), with running statistics away from the batch's, and equals the layers one by
   * one.
   */
  @ParameterizedTest
  @EnumSource(value = Activation.Kind.class, names = {"RELU", "RELU6", "SILU", "SIGMOID", "TANH"})
  void evaluationRunsTheActivationInsideTheNormAndMatchesTheLayersOneByOne(Activation.Kind kind) {
    Model fused = new Model("fused", new Sequential(layers(kind)), 3, 9, 7).init(8);
    SplittableRandom rnd = new SplittableRandom(9);
    for (Layer l : fused.root().children()) {
      if (l instanceof BatchNorm2d bn) {
        for (int c = 0; c < bn.channels(); c++) {
          fused.params()[bn.paramOffset() + c] = (float) (1 + 3 * rnd.nextDouble());
          fused.params()[bn.paramOffset() + bn.channels() + c] = (float) (rnd.nextDouble() - 0.5);
          fused.state()[bn.stateOffset() + c] = (float) (rnd.nextDouble() - 0.5);
          fused.state()[bn.stateOffset() + bn.channels() + c] = (float) (0.2 + rnd.nextDouble());
        }
      }
    }
    Tensor x = ModelGradientTest.randomInput(rnd, 3, 3, 9, 7);
    float[] yFused = fused.forward(x, false).toArray();
    for (Layer l : fused.root().children()) {
      if (l instanceof Activation a) {
        assertTrue(a.ranInsideNorm(), kind + " ran inside the batch norm");
      }
    }
    Tensor t = x;
    for (Layer l : fused.root().children()) {
      t = l.forward(t, false);
    }
    close("evaluation output", t.toArray(), yFused);
  }

  private static void close(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what);
    double scale = 1e-6;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5 * scale, what + " at " + i);
    }
  }
}
