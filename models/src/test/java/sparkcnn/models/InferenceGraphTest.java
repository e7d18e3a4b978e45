package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Dropout;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Identity;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Residual;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.layers.SideOutput;
import sparkcnn.models.optim.Sgd;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/** The inference graph (batch norm folded, dropout and side outputs removed) computes the evaluation outputs. */
class InferenceGraphTest {
  private static Model network() {
    Layer block = new Residual(
        Sequential.of(new Conv2d(8, 8, 3, 1, 1, 1, 1, false), new BatchNorm2d(8), new Activation(Activation.Kind.RELU),
            new Conv2d(8, 12, 3, 2, 1, 1, 1, true), new BatchNorm2d(12)),
        Sequential.of(new Conv2d(8, 12, 1, 2, 0, 1, 1, false), new BatchNorm2d(12)),
        new Activation(Activation.Kind.RELU));
    return new Model("fold", Sequential.of(
        new Conv2d(3, 8, 3, 1, 1, 1, 1, false), new BatchNorm2d(8), new Activation(Activation.Kind.RELU),
        new SideOutput(Sequential.of(new GlobalAvgPool(), new Linear(8, 5, true)), 0.3f),
        block, new BatchNorm2d(12), new GlobalAvgPool(), new Dropout(0.5f, 1), new Linear(12, 5, true)), 3, 10, 10);
  }

  /**
   * Zoo networks whose blocks are conv, batch norm, activation (ReLU, ReLU6, SiLU; depthwise and pointwise; with
   * squeeze-and-excitation and residuals): with random running statistics and affine parameters, the folded graph
   * (batch norm folded, activations in the convolutions' bias passes) gives the evaluation outputs, at batch 1
   * and batch 3.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tf_convnet", "mobilenet_v2", "efficientnet_b0", "shufflenet_v1", "cifar_resnet20",
      "densenet121", "preact_resnet18"})
  void foldedZooNetworksMatchTheirEvaluationOutputs(String name) {
    ModelSpec own = Zoo.spec(name);
    int size = Math.min(own.height(), 64);
    ModelSpec spec = new ModelSpec(own.name(), 10, own.channels(), size, size, own.scaling());
    Model eval = Zoo.build(spec).init(3);
    SplittableRandom rnd = new SplittableRandom(9);
    float[] state = eval.state();
    for (int i = 0; i < state.length; i++) {
      state[i] = 0.5f + (float) rnd.nextDouble(); // positive: variances too
    }
    float[] params = eval.params();
    Model folded = Zoo.build(spec);
    System.arraycopy(params, 0, folded.params(), 0, params.length);
    System.arraycopy(state, 0, folded.state(), 0, state.length);
    folded.foldForInference();
    int[] fused = {0};
    Model.walk(folded.root(), l -> fused[0] += l.describe().contains(" + ") ? 1 : 0);
    assertTrue(fused[0] > 0, name + ": no activation was fused");
    // Every batch norm the graph can fold is folded: none is left right after a convolution, nor first in a
    // sequence right after one (DenseNet's and the pre-activation blocks' conv -> BN-ReLU).
    assertEquals(0, normsAfterConvolutions(folded.root()), name + ": batch norms left after convolutions");
    for (int n : new int[] {1, 3}) {
      Tensor x = ModelGradientTest.randomInput(rnd, n, own.channels(), size, size);
      float[] expected = eval.forward(x, false).toArray();
      float[] actual = folded.forward(x, false).toArray();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-3 * (1 + Math.abs(expected[i])), name + " batch " + n + " logit " + i);
      }
    }
  }

  /** Batch norms right after a convolution in a sequence, or first in a sequence right after one. */
  private static int normsAfterConvolutions(Layer layer) {
    int count = 0;
    if (layer instanceof Sequential seq) {
      List<Layer> layers = seq.children();
      for (int i = 0; i + 1 < layers.size(); i++) {
        if (layers.get(i) instanceof Conv2d && (layers.get(i + 1) instanceof BatchNorm2d
            || layers.get(i + 1) instanceof Sequential inner && !inner.children().isEmpty()
                && inner.children().get(0) instanceof BatchNorm2d)) {
          count++;
        }
      }
    }
    for (Layer child : layer.children()) {
      count += normsAfterConvolutions(child);
    }
    return count;
  }

  /**
   * A frozen backbone whose cut falls between a convolution and the batch norm + activation block after it is not
   * folded for its features (the fold would move the trained norm into the frozen convolution); cut after the
   * block, it is.
   */
  @Test
  void aCutBetweenAConvolutionAndItsNestedNormKeepsTheBackboneUnfolded() {
    Model m = new Model("nested", Sequential.of(new Conv2d(3, 4, 3, 1, 1, 1, 1, false),
        Sequential.of(new BatchNorm2d(4), new Activation(Activation.Kind.RELU)),
        new Conv2d(4, 5, 3, 1, 1, 1, 1, false), new BatchNorm2d(5), new GlobalAvgPool(), new Linear(5, 2, true)),
        3, 6, 6).init(1);
    assertFalse(m.freeze(3 * 4 * 9).backboneFoldable(), "cut after the convolution");
    assertTrue(m.freeze(3 * 4 * 9 + 2 * 4).backboneFoldable(), "cut after its batch norm block");
  }

  /**
   * A nested sequence that opens with an activation and no batch norm keeps it: the fold fuses a nested block's
   * activation into the convolution only with the norm it folds (a frozen cut may fall in front of such a block,
   * and SiLU applied twice is not SiLU). The folded outputs equal the evaluation outputs.
   */
  @Test
  void aNestedBlockOpeningWithAnActivationKeepsIt() {
    Activation silu = new Activation(Activation.Kind.SILU);
    Model m = new Model("nested-act", Sequential.of(new Conv2d(3, 4, 3, 1, 1, 1, 1, false),
        Sequential.of(silu, new Conv2d(4, 5, 3, 1, 1, 1, 1, false)), new GlobalAvgPool(), new Linear(5, 2, true)),
        3, 6, 6).init(2);
    Tensor x = ModelGradientTest.randomInput(new SplittableRandom(4), 2, 3, 6, 6);
    float[] expected = m.forward(x, false).toArray();
    assertTrue(m.freeze(3 * 4 * 9).backboneFoldable());
    m.freeze(0).foldForInference();
    List<Layer> inner = m.root().children().get(1).children();
    assertTrue(inner.get(0) == silu, "the block's SiLU stays a layer of its own");
    float[] actual = m.forward(x, false).toArray();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), "logit " + i);
    }
  }

  @Test
  void foldedModelMatchesTheEvaluationOutputs() {
    Model trained = network().init(41);
    Trainer trainer = new Trainer(trained, new Sgd(0.9f, false, 1e-4f), s -> 0.05f,
        new Trainer.Options(0f, 0, 4));
    SplittableRandom rnd = new SplittableRandom(42);
    int[] labels = new int[8];
    for (int step = 0; step < 5; step++) { // moves batch norm's running statistics off their initial 0 / 1
      for (int i = 0; i < labels.length; i++) {
        labels[i] = rnd.nextInt(5);
      }
      trainer.step(ModelGradientTest.randomInput(rnd, 8, 3, 10, 10), labels);
    }
    Model folded = network();
    System.arraycopy(trained.params(), 0, folded.params(), 0, trained.paramCount());
    System.arraycopy(trained.state(), 0, folded.state(), 0, trained.state().length);
    folded.foldForInference();

    Tensor x = ModelGradientTest.randomInput(rnd, 6, 3, 10, 10);
    float[] expected = trained.forward(x, false).toArray();
    float[] actual = folded.forward(x, false).toArray();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), "logit " + i);
    }
    // Three conv + batch norm pairs (one with a bias), the two ReLUs right after them (applied in the convolutions
    // bias passes), dropout and the side output are gone from the graph.
    int[] identities = {0};
    Model.walk(folded.root(), l -> identities[0] += l instanceof Identity ? 1 : 0);
    assertEquals(4 + 2 + 2, identities[0]);
    assertTrue(folded.sideOutputs().stream().allMatch(s -> s.logits() == null));
    assertThrows(IllegalStateException.class, () -> folded.forward(x, true));
  }

  /**
   * A folded model reloaded with raw parameters and statistics (the evaluator reloads its pooled, folded models
   * every epoch) folds them again: the outputs are the evaluation outputs of a model holding those raw values,
   * for a bias-free convolution (whose folded bias lives outside the buffer) and one with a bias alike.
   */
  @Test
  void foldedModelReloadedWithNewParametersFoldsThemAgain() {
    Model pooled = network().init(1).foldForInference();
    SplittableRandom rnd = new SplittableRandom(3);
    for (int round = 0; round < 2; round++) {
      Model source = network().init(10 + round);
      float[] params = source.params();
      for (int i = 0; i < params.length; i++) {
        params[i] += (float) (rnd.nextDouble() - 0.5) * 0.2f; // biases, gamma and beta away from 0, 1, 0
      }
      float[] state = source.state();
      for (int i = 0; i < state.length; i++) {
        state[i] = 0.5f + (float) rnd.nextDouble();
      }
      pooled.load(source.params(), source.state());
      Tensor x = ModelGradientTest.randomInput(rnd, 4, 3, 10, 10);
      float[] expected = source.forward(x, false).toArray();
      float[] actual = pooled.forward(x, false).toArray();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), "round " + round + " logit " + i);
      }
    }
  }
}
