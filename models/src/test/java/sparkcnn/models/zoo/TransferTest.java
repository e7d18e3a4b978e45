package sparkcnn.models.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.Trainer;
import sparkcnn.models.optim.Sgd;

/**
 * Fine-tuning: layer names, the head found by the class count, starting from a checkpoint by name and shape,
 * frozen backbones that train nothing and cost no backward, and pre-computed features that give the head the
 * gradients the full forward gives it.
 */
class TransferTest {
  private static final ModelSpec CONVNET = Zoo.spec("tf_convnet");
  /** A CIFAR ResNet-20 narrowed to width 0.5 at 16x16: batch norm, residual blocks, a pooled head. */
  private static final ModelSpec RESNET = Zoo.spec("cifar_resnet20", 10, new int[] {3, 16, 16},
      new Scaling(0.5, 1, 1));

  @Test
  void layersAreNamedByTheirPathAndTheHeadIsWhatFollowsTheClassCount() {
    Model m = Zoo.build(CONVNET);
    assertEquals(List.of("0.0", "2.0", "5", "8"), m.parts().stream().map(Model.Part::name).toList());
    assertEquals(List.of("8"), Transfer.head(CONVNET));
    Model r = Zoo.build(RESNET);
    String last = r.parts().get(r.parts().size() - 1).name();
    assertEquals(List.of(last), Transfer.head(RESNET));
    // Offsets tile the buffers in order.
    int p = 0;
    int s = 0;
    for (Model.Part part : r.parts()) {
      assertEquals(p, part.paramOffset(), part.name());
      assertEquals(s, part.stateOffset(), part.name());
      p += part.paramCount();
      s += part.stateCount();
    }
    assertEquals(r.paramCount(), p);
    assertEquals(r.state().length, s);
  }

  @Test
  void aCheckpointOfAnotherClassCountGivesEverythingButTheHead() throws IOException {
    Model source = Zoo.build(RESNET).init(1);
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < source.state().length; i++) {
      source.state()[i] = (float) rnd.nextDouble(); // running statistics must travel too
    }
    Checkpoint.Contents c = roundTrip(RESNET, source);
    ModelSpec five = new ModelSpec(RESNET.name(), 5, 3, 16, 16, RESNET.scaling());
    Model target = Zoo.build(five).init(2);
    float[] fresh = target.params().clone();
    Transfer.Report report = Transfer.initFrom(target, five, c, "pretrained.sparkcnn");
    Model.Part head = target.parts().get(target.parts().size() - 1);
    assertEquals(List.of(head.name() + " (" + head.layer().describe() + ")"), report.reinitialized());
    assertEquals(target.parts().size() - 1, report.copied());
    assertArrayEquals(Arrays.copyOf(source.params(), head.paramOffset()),
        Arrays.copyOf(target.params(), head.paramOffset()));
    assertArrayEquals(Arrays.copyOfRange(fresh, head.paramOffset(), fresh.length),
        Arrays.copyOfRange(target.params(), head.paramOffset(), fresh.length));
    assertArrayEquals(source.state(), target.state());
  }

  @Test
  void aMismatchBeforeTheHeadIsAnErrorNamingTheLayer() throws IOException {
    ModelSpec bigger = Zoo.spec("tf_convnet", 10, new int[] {1, 32, 32}, null);
    Checkpoint.Contents c = roundTrip(bigger, Zoo.build(bigger).init(1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Transfer.initFrom(Zoo.build(CONVNET).init(1), CONVNET, c, "other.sparkcnn"));
    assertTrue(e.getMessage().contains("other.sparkcnn") && e.getMessage().contains("layer '5'")
        && e.getMessage().contains("linear 3136->1024") && e.getMessage().contains("linear 4096->1024"),
        e.getMessage());
    ModelSpec deeper = Zoo.spec("cifar_resnet32", 10, new int[] {3, 16, 16}, new Scaling(0.5, 1, 1));
    Checkpoint.Contents d = roundTrip(deeper, Zoo.build(deeper).init(1));
    e = assertThrows(IllegalArgumentException.class,
        () -> Transfer.initFrom(Zoo.build(RESNET).init(1), RESNET, d, "deeper.sparkcnn"));
    assertTrue(e.getMessage().contains("deeper.sparkcnn"), e.getMessage());
  }

  @Test
  void freezeNamesResolveToALeadingRun() {
    Model m = Zoo.build(CONVNET);
    int head = m.parts().get(3).paramOffset();
    assertEquals(head, Transfer.frozenParams(CONVNET, m, List.of("all_but_head")));
    assertEquals(832, Transfer.frozenParams(CONVNET, m, List.of("stem")));
    assertEquals(832 + 51_264, Transfer.frozenParams(CONVNET, m, List.of("0", "2")));
    assertEquals(0, Transfer.frozenParams(CONVNET, m, List.of()));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Transfer.frozenParams(CONVNET, m, List.of("2")))
        .getMessage().contains("layer '0.0'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Transfer.frozenParams(CONVNET, m, List.of("9")))
        .getMessage().contains("'9' names no layer"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Transfer.frozenParams(CONVNET, m, List.of("all_but_head", "head"))).getMessage().contains("nothing"));
    // A cut inside a residual block has no single tensor to stop at.
    Model r = Zoo.build(RESNET);
    // The first block's first convolution: the first layer three levels down.
    String inside = r.parts().stream().map(Model.Part::name).filter(n -> n.split("\\.").length > 2).findFirst()
        .orElseThrow();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Transfer.frozenParams(RESNET, r, List.of("0", inside)));
    assertTrue(e.getMessage().contains("residual") && e.getMessage().contains("freeze whole blocks"), e.getMessage());
    assertEquals(0, r.frozenParams());
  }

  @Test
  void allButHeadStopsAtTheMainClassifierNotAtASideHead() {
    ModelSpec spec = Zoo.spec("googlenet", 5, new int[] {3, 64, 64}, new Scaling(0.25, 1, 1));
    Model m = Zoo.build(spec);
    assertEquals(2, m.sideOutputs().size());
    List<String> head = Transfer.head(spec);
    assertEquals(3, head.size(), "the main classifier and the two side classifiers follow the class count");
    Model.Part main = m.parts().get(m.parts().size() - 1);
    assertEquals(main.paramOffset(), Transfer.frozenParams(spec, m, List.of("all_but_head")));
    m.freeze(main.paramOffset());
    assertTrue(m.sideOutputs().isEmpty(), "the frozen side heads do not train");
  }

  @Test
  void learningRateMultipliersScaleEachLayersStep() {
    Model m = Zoo.build(CONVNET).init(3);
    java.util.LinkedHashMap<String, Double> multipliers = new java.util.LinkedHashMap<>();
    multipliers.put("all_but_head", 0.1);
    multipliers.put("2", 0.0); // a later entry overrides an earlier one
    float[] rates = Transfer.rates(CONVNET, m, multipliers);
    int head = m.parts().get(3).paramOffset();
    assertEquals(0.1f, rates[0]);
    assertEquals(0f, rates[832]);
    assertEquals(0.1f, rates[head - 1]);
    assertEquals(1f, rates[head]);
    assertNull(Transfer.rates(CONVNET, m, new java.util.LinkedHashMap<>()));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Transfer.rates(CONVNET, m, new java.util.LinkedHashMap<>(java.util.Map.of("7.1", 2.0))))
        .getMessage().contains("'7.1' names no layer"));
    // Plain SGD: each parameter moves by lr * its multiplier * its gradient.
    m.scaleRates(rates);
    float[] before = m.params().clone();
    Trainer t = new Trainer(m, new Sgd(0f, false, 0f), s -> 0.5f, Trainer.Options.DEFAULT);
    int[] y = new int[4];
    t.step(greyImages(new SplittableRandom(4), 4, y), y);
    for (int i : new int[] {0, 5, 832, 900, head - 1, head, m.paramCount() - 1}) {
      assertEquals(before[i] - 0.5f * rates[i] * m.grads()[i], m.params()[i], 1e-7, "parameter " + i);
    }
    assertArrayEquals(Arrays.copyOfRange(before, 832, 832 + 51_264), Arrays.copyOfRange(m.params(), 832, 832 + 51_264));
  }

  @Test
  void aFrozenBackboneStaysBitIdenticalAndGetsNoGradient() {
    Model m = Zoo.build(RESNET).init(5);
    int frozen = Transfer.frozenParams(RESNET, m, List.of("all_but_head"));
    m.freeze(frozen);
    float[] params = m.params().clone();
    float[] state = m.state().clone();
    Trainer t = new Trainer(m, new Sgd(0.9f, false, 1e-4f), s -> 0.05f, Trainer.Options.DEFAULT);
    SplittableRandom rnd = new SplittableRandom(6);
    for (int step = 0; step < 3; step++) {
      int[] y = new int[8];
      Tensor x = images(rnd, 8, y);
      t.step(x, y);
      for (int i = 0; i < frozen; i++) {
        assertEquals(0f, m.grads()[i], "gradient " + i);
      }
    }
    assertArrayEquals(Arrays.copyOf(params, frozen), Arrays.copyOf(m.params(), frozen));
    assertArrayEquals(Arrays.copyOf(state, m.frozenState()), Arrays.copyOf(m.state(), m.frozenState()));
    assertEquals(m.state().length, m.frozenState()); // the head has no batch norm
    assertFalse(Arrays.equals(Arrays.copyOfRange(params, frozen, params.length),
        Arrays.copyOfRange(m.params(), frozen, params.length)), "the head trains");
  }

  @Test
  void preComputedFeaturesGiveTheHeadTheSameGradients() {
    for (ModelSpec spec : List.of(RESNET, CONVNET)) {
      Model full = Zoo.build(spec).init(7);
      SplittableRandom rnd = new SplittableRandom(8);
      for (int i = 0; i < full.state().length; i++) {
        full.state()[i] = 0.5f + (float) rnd.nextDouble(); // non-trivial running statistics to fold
      }
      int frozen = Transfer.frozenParams(spec, full, List.of("all_but_head"));
      full.freeze(frozen);
      Model folded = Zoo.build(spec).freeze(frozen);
      folded.load(full.params(), full.state());
      folded.foldForInference();
      Model head = Zoo.build(spec).freeze(frozen).takeFeatures();
      head.load(full.params(), full.state());
      int[] y = new int[6];
      Tensor x = spec == RESNET ? images(rnd, 6, y) : greyImages(rnd, 6, y);
      Trainer a = new Trainer(full, new Sgd(0f, false, 0f), s -> 0f, Trainer.Options.DEFAULT);
      Trainer b = new Trainer(head, new Sgd(0f, false, 0f), s -> 0f, Trainer.Options.DEFAULT);
      Tensor features = folded.features(x);
      int[] fs = features.shape();
      assertArrayEquals(head.featureShape(), Arrays.copyOfRange(fs, 1, fs.length));
      a.step(x, y);
      b.step(new Tensor(features.data.clone(), features.offset, features.shape()), y);
      double worst = 0;
      double scale = 0;
      for (int i = frozen; i < full.paramCount(); i++) {
        worst = Math.max(worst, Math.abs(full.grads()[i] - head.grads()[i]));
        scale = Math.max(scale, Math.abs(full.grads()[i]));
      }
      assertTrue(scale > 0 && worst <= 1e-4 * scale, spec.name() + ": worst " + worst + " of " + scale);
    }
  }

  @Test
  void frozenModelsStillSayWhatTheyExpect() {
    Model features = Zoo.build(CONVNET).freeze(832).takeFeatures();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> features.forward(Tensor.zeros(2, 1, 28, 28), true));
    assertTrue(e.getMessage().contains("expects features (N, 32, 14, 14)"), e.getMessage());
  }

  private static Checkpoint.Contents roundTrip(ModelSpec spec, Model m) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Checkpoint.write(out, spec.toMap(), 7, 1, m, null);
    return Checkpoint.read(new ByteArrayInputStream(out.toByteArray()), "test");
  }

  private static Tensor images(SplittableRandom rnd, int n, int[] labels) {
    return random(rnd, Tensor.zeros(n, 3, 16, 16), labels);
  }

  private static Tensor greyImages(SplittableRandom rnd, int n, int[] labels) {
    return random(rnd, Tensor.zeros(n, 1, 28, 28), labels);
  }

  /** Fills x with noise and labels with classes 0-9. */
  private static Tensor random(SplittableRandom rnd, Tensor x, int[] labels) {
    for (int i = 0; i < x.size(); i++) {
      x.data[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rnd.nextInt(10);
    }
    return x;
  }
}
