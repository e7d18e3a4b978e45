package sparkcnn.models.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;
import sparkcnn.models.ModelTooLarge;
import sparkcnn.models.Objective;
import sparkcnn.models.Summary;

/** The registry against published sizes, plus build / forward / backward of every entry at a small input. */
class ZooTest {
  /** name, classes, exact published parameter count, source. */
  static Stream<Arguments> publishedCounts() {
    return Stream.of(
        // Named by the issue; torchvision's model tables (docs.pytorch.org/vision/stable/models).
        Arguments.of("resnet50", 1000, 25_557_032L),
        Arguments.of("vgg16", 1000, 138_357_544L),
        Arguments.of("densenet121", 1000, 7_978_856L),
        Arguments.of("mobilenet_v2", 1000, 3_504_872L),
        Arguments.of("efficientnet_b0", 1000, 5_288_548L),
        Arguments.of("cifar_resnet20", 10, 269_722L),
        Arguments.of("lenet5", 10, 61_706L),
        // torchvision model tables ("Params" column).
        Arguments.of("resnet18", 1000, 11_689_512L),
        Arguments.of("resnet34", 1000, 21_797_672L),
        Arguments.of("resnet101", 1000, 44_549_160L),
        Arguments.of("resnet152", 1000, 60_192_808L),
        Arguments.of("resnext50_32x4d", 1000, 25_028_904L),
        Arguments.of("wide_resnet50_2", 1000, 68_883_240L),
        Arguments.of("alexnet", 1000, 61_100_840L),
        Arguments.of("vgg11", 1000, 132_863_336L),
        Arguments.of("vgg11_bn", 1000, 132_868_840L),
        Arguments.of("vgg13", 1000, 133_047_848L),
        Arguments.of("vgg13_bn", 1000, 133_053_736L),
        Arguments.of("vgg16_bn", 1000, 138_365_992L),
        Arguments.of("vgg19", 1000, 143_667_240L),
        Arguments.of("vgg19_bn", 1000, 143_678_248L),
        Arguments.of("densenet169", 1000, 14_149_480L),
        Arguments.of("densenet201", 1000, 20_013_928L),
        Arguments.of("efficientnet_b1", 1000, 7_794_184L),
        Arguments.of("efficientnet_b2", 1000, 9_109_994L),
        Arguments.of("efficientnet_b3", 1000, 12_233_232L),
        Arguments.of("efficientnet_b4", 1000, 19_341_616L),
        Arguments.of("efficientnet_b5", 1000, 30_389_784L),
        Arguments.of("efficientnet_b6", 1000, 43_040_704L),
        Arguments.of("efficientnet_b7", 1000, 66_347_960L),
        // Keras Applications' MobileNet (alpha 1.0): 4,253,864 total minus 21,888 non-trainable running statistics.
        Arguments.of("mobilenet_v1", 1000, 4_231_976L),
        // Cadene's pretrained-models se_resnet50 (SE fc layers with biases, reduction 16).
        Arguments.of("se_resnet50", 1000, 28_088_024L),
        // akamaster/pytorch_resnet_cifar10 (option A shortcuts), the counts its test() prints.
        Arguments.of("cifar_resnet32", 10, 464_154L),
        Arguments.of("cifar_resnet44", 10, 658_586L),
        Arguments.of("cifar_resnet56", 10, 853_018L),
        Arguments.of("cifar_resnet110", 10, 1_727_962L),
        // bearpaw/pytorch-classification's preresnet-164 (bottleneck) and bamos/densenet.pytorch's DenseNet-BC
        // (depth 100, k = 12), the totals their scripts print for 10 classes.
        Arguments.of("cifar_preact_resnet164", 10, 1_703_258L),
        Arguments.of("cifar_densenet_bc100", 10, 769_162L));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("publishedCounts")
  void parameterCountsMatchPublishedFigures(String name, int classes, long expected) {
    Model m = Zoo.build(Zoo.spec(name, classes, null, null));
    assertEquals(expected, m.paramCount(), name);
  }

  @Test
  void resnet50MultiplyAddsAt224() {
    assertEquals(4_089_184_256L, Summary.of(Zoo.build(Zoo.spec("resnet50"))).macs());
  }

  /** Multiply-adds the papers state (rounded there; within 6.5%, GoogLeNet being the loosest at 1.59 vs 1.5). */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource({
      "mobilenet_v1, 569000000", // Howard et al., Table 8: 569 million mult-adds
      "mobilenet_v2, 300000000", // Sandler et al., Table 4: 300 million multiply-adds
      "shufflenet_v1, 140000000", // Zhang et al., Table 2: 140 MFLOPs for 1x (g = 3)
      "efficientnet_b0, 390000000", // Tan and Le, Table 2: 0.39B FLOPs
      "googlenet, 1500000000"}) // Szegedy et al.: "1.5 billion multiply-adds"
  void multiplyAddsMatchThePapers(String name, long stated) {
    long macs = Summary.of(Zoo.build(Zoo.spec(name))).macs();
    assertEquals(stated, macs, 0.065 * stated, name + " multiply-adds " + macs);
  }

  @Test
  void inceptionCostExampleFromTheNotes() {
    assertEquals(120_422_400L, Summary.of(Zoo.build(Zoo.spec("example_conv5x5"))).macs());
    Summary bottleneck = Summary.of(Zoo.build(Zoo.spec("example_bottleneck5x5")));
    assertEquals(2_408_448L, bottleneck.rows().get(0).macs());
    assertEquals(10_035_200L, bottleneck.rows().get(1).macs());
  }

  @Test
  void googlenetSideClassifiersCountInTrainingOnly() {
    Model m = Zoo.build(Zoo.spec("googlenet"));
    assertEquals(2, m.sideOutputs().size());
    Summary s = Summary.of(m);
    assertTrue(s.inferenceParams() < s.params());
  }

  /** Every entry at a small input: builds, forward and backward run, output shape is (N, classes[, H, W]). */
  static Stream<String> names() {
    return Zoo.names().stream().filter(n -> !Zoo.entry(n).family().equals("example"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void everyEntryTrainsOneStepAtASmallInput(String name) {
    ModelSpec spec = SmallSteps.spec(name);
    Model m = Zoo.build(spec).init(1);
    int[] out = m.outputShape(2);
    assertEquals(2, out[0]);
    assertEquals(5, out[1]);
    SplittableRandom rnd = new SplittableRandom(2);
    Tensor x = SmallSteps.input(spec, rnd);
    int[] labels = SmallSteps.labels(out, rnd);
    Objective objective = new Objective(m, 0f);
    double loss = objective.forward(x, labels, true);
    assertTrue(Double.isFinite(loss), name + " loss " + loss);
    Tensor dx = objective.backward(1f);
    assertArrayEquals(x.shape(), dx.shape());
    double norm = 0;
    for (float g : m.grads()) {
      norm += g * g;
    }
    assertTrue(norm > 0 && Double.isFinite(norm), name + " gradient norm " + norm);
  }

  @Test
  void badRequestsNameTheModelAndTheLimit() {
    IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
        () -> Zoo.build(Zoo.spec("vgg16", null, new int[] {3, 16, 16}, null)));
    assertTrue(small.getMessage().startsWith("vgg16: input 3x16x16"), small.getMessage());
    assertTrue(small.getMessage().contains("needs at least 3x32x32"), small.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Zoo.spec("resnet51"));
    assertTrue(unknown.getMessage().contains("unknown model 'resnet51'"), unknown.getMessage());
    IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
        () -> Zoo.spec("resnet18", null, null, new Scaling(0, 1, 1)));
    assertTrue(width.getMessage().contains("must be positive"), width.getMessage());
  }

  /**
   * A network past the heap is refused before its arrays exist, as itself and not as a bad input size: phi 14
   * gives EfficientNet-B0 hundreds of millions of parameters (several GB of weights and gradients against this
   * test JVM's 3 GB).
   */
  @Test
  void aNetworkPastTheHeapIsRefusedBeforeItsArraysExist() {
    // About 873 million parameters, 7.9 GB: the build's 3 GB test heap refuses them; a larger one (an IDE's) might
    // not.
    assumeTrue(Runtime.getRuntime().maxMemory() < 7e9, "a heap under 7 GB");
    ModelTooLarge big = assertThrows(ModelTooLarge.class,
        () -> Zoo.build(Zoo.spec("efficientnet_b0", 10, new int[] {3, 32, 32}, Scaling.phi(14))));
    assertTrue(big.getMessage().startsWith("efficientnet_b0: ") && big.getMessage().contains("parameters need")
        && big.getMessage().contains("more than this JVM's heap") && big.getMessage().contains("SPARKCNN_HEAP"),
        big.getMessage());
  }

  /** A layer past 2^31 weights is refused on any heap (tf_convnet 30 times wider), and its advice is not the heap. */
  @Test
  void aLayerPastAJavaArrayIsRefusedOnAnyHeap() {
    ModelTooLarge overflow = assertThrows(ModelTooLarge.class,
        () -> Zoo.build(Zoo.spec("tf_convnet", null, null, new Scaling(30, 1, 1))));
    assertTrue(overflow.getMessage().startsWith("tf_convnet: a layer of ") && overflow.getMessage().contains(
        "weights, more than a Java array holds") && !overflow.getMessage().contains("heap"), overflow.getMessage());
    // Widths whose counts wrapped to a small positive int (37 gave 171,795,850 for 4.47 billion) are refused too.
    for (double w : new double[] {37, 44, 52}) {
      assertThrows(ModelTooLarge.class, () -> Zoo.build(Zoo.spec("tf_convnet", null, null, new Scaling(w, 1, 1))),
          "width " + w);
    }
  }
}
