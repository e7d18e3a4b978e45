package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.optim.Sgd;

/** Micro-batches accumulate the global batch's gradient; batch norm's running statistics move by their mean. */
class MicroBatchTest {
  private static Model net(boolean batchNorm) {
    Layer norm = batchNorm ? new BatchNorm2d(4) : new Activation(Activation.Kind.TANH);
    return new Model("micro", Sequential.of(new Conv2d(2, 4, 3, 1, 1, 1, 1, true), norm,
        new Activation(Activation.Kind.RELU), new GlobalAvgPool(), new Linear(4, 3, true)), 2, 6, 6).init(51);
  }

  private static Trainer trainer(Model m, int microBatch) {
    return new Trainer(m, new Sgd(0.9f, true, 0f), s -> 0.1f, new Trainer.Options(0.1f, 0, microBatch));
  }

  @Test
  void withoutBatchNormMicroBatchesGiveTheWholeBatchStep() {
    Model whole = net(false);
    Model micro = net(false);
    Trainer a = trainer(whole, 0);
    Trainer b = trainer(micro, 5); // 12 = 5 + 5 + 2: uneven on purpose
    SplittableRandom rnd = new SplittableRandom(52);
    int[] labels = new int[12];
    for (int step = 0; step < 4; step++) {
      for (int i = 0; i < labels.length; i++) {
        labels[i] = rnd.nextInt(3);
      }
      Tensor x = ModelGradientTest.randomInput(rnd, 12, 2, 6, 6);
      Trainer.StepResult ra = a.step(x, labels);
      Trainer.StepResult rb = b.step(x, labels);
      assertEquals(ra.loss(), rb.loss(), 1e-5);
      assertEquals(ra.correct(), rb.correct());
    }
    for (int i = 0; i < whole.paramCount(); i++) {
      assertEquals(whole.params()[i], micro.params()[i], 1e-5, "parameter " + i);
    }
  }

  @Test
  void runningStatisticsMoveByTheMeanOfTheMicroBatchStatistics() {
    Model m = net(true);
    BatchNorm2d bn = (BatchNorm2d) ((Sequential) m.root()).children().get(1);
    SplittableRandom rnd = new SplittableRandom(53);
    Tensor x = ModelGradientTest.randomInput(rnd, 8, 2, 6, 6);
    // Expected: the conv output's per-channel mean over each half of the batch, averaged.
    Conv2d conv = (Conv2d) ((Sequential) m.root()).children().get(0);
    double[] mean = new double[4];
    for (int half = 0; half < 2; half++) {
      Tensor part = new Tensor(x.data, half * 4 * 72, 4, 2, 6, 6);
      Tensor y = conv.forward(part, false);
      for (int c = 0; c < 4; c++) {
        double s = 0;
        for (int n = 0; n < 4; n++) {
          for (int p = 0; p < 36; p++) {
            s += y.get((n * 4 + c) * 36 + p);
          }
        }
        mean[c] += s / (4 * 36) / 2;
      }
    }
    trainer(m, 4).step(x, new int[] {0, 1, 2, 0, 1, 2, 0, 1});
    for (int c = 0; c < 4; c++) {
      assertEquals(0.1 * mean[c], m.state()[bn.stateOffset() + c], 1e-5, "running mean of channel " + c);
    }
  }

  /**
   * A forward over a NaN input leaves nothing behind: the next batch's statistics are what a fresh model's are
   * (they stayed NaN: the kernel's "0 * old + batch" kept the old NaN), so a skipped non-finite step heals.
   */
  @Test
  void batchStatisticsAfterANonFiniteBatchAreTheNextBatchsOwn() {
    Model hit = net(true);
    Model fresh = net(true);
    SplittableRandom rnd = new SplittableRandom(54);
    Tensor bad = ModelGradientTest.randomInput(rnd, 4, 2, 6, 6);
    bad.data[bad.offset] = Float.NaN;
    Tensor good = ModelGradientTest.randomInput(rnd, 4, 2, 6, 6);
    hit.clearBatchStatistics();
    hit.forward(bad, true);
    hit.clearBatchStatistics();
    hit.forward(good, true);
    fresh.clearBatchStatistics();
    fresh.forward(good, true);
    for (int i = 0; i < fresh.batchStatistics().length; i++) {
      assertEquals(fresh.batchStatistics()[i], hit.batchStatistics()[i], 0f, "batch statistic " + i);
    }
  }
}
