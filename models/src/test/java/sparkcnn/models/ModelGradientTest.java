package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Flatten;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Residual;
import sparkcnn.models.layers.Sequential;

/** Whole-model gradients (parameters and input) against central finite differences of the loss, in double. */
class ModelGradientTest {
  static final Activation.Kind SMOOTH = Activation.Kind.SILU; // no kinks, so finite differences are exact to O(h^2)

  /** d loss / d p (side outputs and per-pixel logits included) for a sample of parameters and inputs, against the model's backward. */
  static void check(Model model, Tensor x, int[] labels, double tol) {
    Objective loss = new Objective(model, 0.1f);
    model.zeroGrad();
    loss.forward(x, labels, true);
    Tensor dx = loss.backward(1f);
    float[] grads = model.grads().clone();
    float[] dxCopy = dx.toArray();
    SplittableRandom rnd = new SplittableRandom(7);
    compare("parameter", model.params(), grads, () -> loss.forward(x, labels, true), rnd, tol);
    compare("input", x.data, dxCopy, () -> loss.forward(x, labels, true), rnd, tol);
  }

  private static void compare(String what, float[] values, float[] analytic, java.util.function.DoubleSupplier f,
      SplittableRandom rnd, double tol) {
    double scale = 1e-3;
    for (float a : analytic) {
      scale = Math.max(scale, Math.abs(a));
    }
    double h = 1e-2;
    for (int s = 0; s < 30; s++) {
      int i = rnd.nextInt(values.length);
      float saved = values[i];
      values[i] = (float) (saved + h);
      double up = f.getAsDouble();
      values[i] = (float) (saved - h);
      double down = f.getAsDouble();
      values[i] = saved;
      double numeric = (up - down) / (2 * h);
      if (Math.abs(numeric - analytic[i]) > tol * scale) {
        fail(what + " " + i + ": analytic " + analytic[i] + ", numeric " + numeric + " (tolerance " + tol * scale + ")");
      }
    }
  }

  static Tensor randomInput(SplittableRandom rnd, int... shape) {
    Tensor t = Tensor.zeros(shape);
    for (int i = 0; i < t.size(); i++) {
      t.set(i, (float) (rnd.nextDouble() * 2 - 1));
    }
    return t;
  }

  @Test
  void residualBlockWithProjectionBatchNormAndPooling() {
    Layer body = Sequential.of(new Conv2d(3, 6, 3, 2, 1, 1, 1, false), new BatchNorm2d(6), new Activation(SMOOTH),
        new Conv2d(6, 6, 3, 1, 1, 1, 1, false), new BatchNorm2d(6));
    Layer projection = Sequential.of(new Conv2d(3, 6, 1, 2, 0, 1, 1, false), new BatchNorm2d(6));
    Model model = new Model("test-resnet-block", Sequential.of(
        new Residual(body, projection, new Activation(SMOOTH)),
        Pool2d.max(2, 2, 0),
        new Residual(Sequential.of(new Conv2d(6, 6, 3, 1, 1, 1, 1, true), new Activation(Activation.Kind.TANH)), null,
            null),
        new GlobalAvgPool(), new Linear(6, 4, true)), 3, 9, 9).init(1);
    SplittableRandom rnd = new SplittableRandom(2);
    check(model, randomInput(rnd, 4, 3, 9, 9), new int[] {0, 3, 1, 2}, 2e-2);
  }

  @Test
  void convNetWithAveragePoolingFlattenAndLinear() {
    Model model = new Model("test-convnet", Sequential.of(
        new Conv2d(2, 4, 5, 1, Conv2d.SAME, 1, 1, true), new Activation(Activation.Kind.SIGMOID),
        Pool2d.avg(2, 2, 0, true), new Conv2d(4, 4, 3, 1, 1, 1, 4, true), // depthwise
        new Flatten(), new Linear(4 * 4 * 4, 3, true)), 2, 8, 8).init(3);
    SplittableRandom rnd = new SplittableRandom(4);
    check(model, randomInput(rnd, 3, 2, 8, 8), new int[] {2, 0, 1}, 2e-2);
  }

  @Test
  void flatBuffersAreOneArrayEachWithPerLayerViews() {
    Conv2d conv = new Conv2d(3, 8, 3, 1, 1, 1, 1, true);
    BatchNorm2d bn = new BatchNorm2d(8);
    Linear fc = new Linear(8, 10, true);
    Model model = new Model("views", Sequential.of(conv, bn, new Activation(Activation.Kind.RELU), new GlobalAvgPool(),
        fc), 3, 16, 16).init(5);
    assertEquals(8 * 3 * 9 + 8 + 2 * 8 + 8 * 10 + 10, model.paramCount());
    assertEquals(2 * 8, model.state().length);
    assertEquals(0, conv.weightOffset());
    assertEquals(8 * 27, conv.biasOffset());
    assertEquals(8 * 27 + 8, bn.paramOffset());
    // Weight decay on conv and linear weights only.
    boolean[] decay = model.decayMask();
    assertEquals(true, decay[0]);
    assertEquals(false, decay[conv.biasOffset()]);
    assertEquals(false, decay[bn.paramOffset()]);
    // Setting all weights is one array copy, and the layers see it.
    float[] copy = model.params().clone();
    java.util.Arrays.fill(model.params(), 0f);
    Tensor zeros = model.forward(Tensor.zeros(2, 3, 16, 16), false);
    assertEquals(0f, zeros.get(0));
    System.arraycopy(copy, 0, model.params(), 0, copy.length);
    assertEquals(copy[conv.weightOffset()], model.params()[0]);
  }
}
