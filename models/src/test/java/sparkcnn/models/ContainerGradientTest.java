package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.ChannelShuffle;
import sparkcnn.models.layers.Concat;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.ConvTranspose2d;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.GroupNorm;
import sparkcnn.models.layers.Identity;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Residual;
import sparkcnn.models.layers.SideOutput;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.layers.SqueezeExcite;
import sparkcnn.models.layers.Upsample;

/** Finite-difference gradient checks of small models built from every container. */
class ContainerGradientTest {
  private static final Activation.Kind SMOOTH = ModelGradientTest.SMOOTH;

  private static void check(Layer body, int channels, int classes, int c, int h, int w) {
    Model model = new Model("grad-check", Sequential.of(body, new GlobalAvgPool(), new Linear(channels, classes, true)),
        c, h, w).init(21);
    SplittableRandom rnd = new SplittableRandom(22);
    ModelGradientTest.check(model, ModelGradientTest.randomInput(rnd, 3, c, h, w), new int[] {0, 2, 1}, 2e-2);
  }

  private static Layer conv(int in, int out, int k) {
    return new Conv2d(in, out, k, 1, Conv2d.SAME, 1, 1, true);
  }

  @Test
  void inceptionBlockWithBottlenecksAndPoolBranch() {
    check(Concat.of(
        conv(4, 3, 1),
        Sequential.of(conv(4, 2, 1), new Activation(SMOOTH), conv(2, 3, 3)),
        Sequential.of(conv(4, 2, 1), new Activation(SMOOTH), conv(2, 2, 5)),
        Sequential.of(Pool2d.max(3, 1, 1), conv(4, 2, 1))), 10, 3, 4, 7, 7);
  }

  @Test
  void inceptionBlockWithSideClassifierInTheLoss() {
    Layer inception = Concat.of(conv(3, 2, 1), Sequential.of(conv(3, 2, 1), new Activation(SMOOTH), conv(2, 3, 3)));
    SideOutput side = new SideOutput(Sequential.of(Pool2d.avg(2, 2, 0, true), conv(5, 4, 1), new Activation(SMOOTH),
        new GlobalAvgPool(), new Linear(4, 3, true)), 0.3f);
    Model model = new Model("inception-side", Sequential.of(conv(2, 3, 3), new Activation(SMOOTH), inception, side,
        conv(5, 4, 3), new GlobalAvgPool(), new Linear(4, 3, true)), 2, 6, 6).init(21);
    SplittableRandom rnd = new SplittableRandom(22);
    Tensor x = ModelGradientTest.randomInput(rnd, 3, 2, 6, 6);
    int[] labels = {0, 2, 1};
    ModelGradientTest.check(model, x, labels, 2e-2);
    // The side loss counts with its weight in training only.
    Objective objective = new Objective(model, 0.1f);
    double eval = objective.forward(x, labels, false);
    assertNull(side.logits());
    double train = objective.forward(x, labels, true);
    SoftmaxCrossEntropy sideLoss = new SoftmaxCrossEntropy(0.1f);
    assertEquals(eval + 0.3 * sideLoss.forward(side.logits(), labels), train, 1e-5);
  }

  @Test
  void preActivationBlockWithProjection() {
    Layer body = Sequential.of(new BatchNorm2d(4), new Activation(SMOOTH), new Conv2d(4, 6, 3, 2, 1, 1, 1, false),
        new BatchNorm2d(6), new Activation(SMOOTH), new Conv2d(6, 6, 3, 1, 1, 1, 1, false));
    Layer block = new Residual(body, new Conv2d(4, 6, 1, 2, 0, 1, 1, false), null);
    check(Sequential.of(conv(3, 4, 3), block, new BatchNorm2d(6), new Activation(SMOOTH)), 6, 3, 3, 7, 7);
  }

  @Test
  void denseBlockConcatenatesItsFeatures() {
    Layer layer1 = Concat.of(new Identity(), Sequential.of(new BatchNorm2d(4), new Activation(SMOOTH), conv(4, 3, 3)));
    Layer layer2 = Concat.of(new Identity(), Sequential.of(new BatchNorm2d(7), new Activation(SMOOTH), conv(7, 3, 3)));
    check(Sequential.of(layer1, layer2), 10, 3, 4, 6, 6);
  }

  @Test
  void squeezeExciteBottleneck() {
    Layer body = Sequential.of(conv(6, 6, 3), new BatchNorm2d(6), new Activation(SMOOTH),
        new SqueezeExcite(6, 2, Activation.Kind.SILU));
    check(new Residual(body, null, new Activation(SMOOTH)), 6, 3, 6, 5, 5);
  }

  @Test
  void depthwiseSeparableBlockWithRelu6() {
    BatchNorm2d bn1 = new BatchNorm2d(4);
    BatchNorm2d bn2 = new BatchNorm2d(8);
    Model model = new Model("mobilenet-block", Sequential.of(
        new Conv2d(4, 4, 3, 1, 1, 1, 4, false), bn1, new Activation(Activation.Kind.RELU6),
        new Conv2d(4, 8, 1, 1, 0, 1, 1, false), bn2, new Activation(Activation.Kind.RELU6),
        new GlobalAvgPool(), new Linear(8, 3, true)), 4, 6, 6).init(21);
    // ReLU6 has kinks at 0 and 6; batch norm with gamma 0.5 and beta 3 puts its inputs six standard deviations
    // from both, so no finite-difference step crosses one.
    for (BatchNorm2d bn : new BatchNorm2d[] {bn1, bn2}) {
      for (int c = 0; c < bn.channels(); c++) {
        model.params()[bn.paramOffset() + c] = 0.5f;
        model.params()[bn.paramOffset() + bn.channels() + c] = 3f;
      }
    }
    SplittableRandom rnd = new SplittableRandom(22);
    ModelGradientTest.check(model, ModelGradientTest.randomInput(rnd, 3, 4, 6, 6), new int[] {0, 2, 1}, 2e-2);
  }

  @Test
  void tinyUnetWithTransposedConvSkipAndPerPixelLoss() {
    Layer down = Sequential.of(Pool2d.max(2, 2, 0), conv(4, 6, 3), GroupNorm.layerNorm(6), new Activation(SMOOTH),
        new ConvTranspose2d(6, 4, 2, 2, 0, 0));
    Model model = new Model("tiny-unet", Sequential.of(conv(2, 4, 3), GroupNorm.instanceNorm(4),
        new Activation(SMOOTH), Concat.of(new Identity(), down), conv(8, 3, 1)), 2, 8, 8).init(21);
    SplittableRandom rnd = new SplittableRandom(22);
    int[] pixelLabels = new int[2 * 8 * 8];
    for (int i = 0; i < pixelLabels.length; i++) {
      pixelLabels[i] = rnd.nextInt(3);
    }
    ModelGradientTest.check(model, ModelGradientTest.randomInput(rnd, 2, 2, 8, 8), pixelLabels, 2e-2);
  }

  @Test
  void shuffleUnitWithGroupedConvolutionsAndUpsampling() {
    check(Sequential.of(new Conv2d(4, 8, 1, 1, 0, 1, 2, false), new GroupNorm(8, 2), new Activation(SMOOTH),
        new ChannelShuffle(2), new Conv2d(8, 8, 3, 2, 1, 1, 8, false), new Upsample(2, true),
        new Conv2d(8, 6, 1, 1, 0, 1, 2, true), new Upsample(1, false)), 6, 3, 4, 6, 6);
  }
}
