package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.optim.Adam;
import sparkcnn.models.optim.Schedule;

/** The trainer learns a task an untrained network cannot do: the orientation of a bar in a noisy image. */
class TrainerTest {
  static final int SIZE = 16;

  /** n images (N, 1, 16, 16): a bar, horizontal, vertical, diagonal or anti-diagonal (the label), plus noise. */
  static Tensor bars(SplittableRandom rnd, int n, int[] labels) {
    Tensor x = Tensor.zeros(n, 1, SIZE, SIZE);
    for (int i = 0; i < n; i++) {
      int label = rnd.nextInt(4);
      labels[i] = label;
      int c = 4 + rnd.nextInt(SIZE - 8);
      for (int j = 0; j < SIZE * SIZE; j++) {
        x.set(i * SIZE * SIZE + j, (float) (rnd.nextDouble() * 0.6 - 0.3));
      }
      for (int t = 1; t < SIZE - 1; t++) {
        int r = switch (label) {
          case 0 -> c;
          case 1 -> t;
          case 2 -> t;
          default -> SIZE - 1 - t;
        };
        int col = label == 0 ? t : label == 1 ? c : t;
        x.set(i * SIZE * SIZE + r * SIZE + col, 1f);
      }
    }
    return x;
  }

  @Test
  void trainingDrivesTheLossDownAndBeatsChance() {
    Model model = new Model("bars", Sequential.of(
        new Conv2d(1, 8, 3, 1, 1, 1, 1, false), new BatchNorm2d(8), new Activation(Activation.Kind.RELU),
        Pool2d.max(2, 2, 0),
        new Conv2d(8, 16, 3, 1, 1, 1, 1, false), new BatchNorm2d(16), new Activation(Activation.Kind.RELU),
        new GlobalAvgPool(), new Linear(16, 4, true)), 1, SIZE, SIZE).init(11);
    Trainer trainer = new Trainer(model, new Adam(0.9f, 0.999f, 1e-8f, 0f, true),
        Schedule.cosine(0.02f, 150, 0.001f).withWarmup(10), new Trainer.Options(0f, 5.0, 16));
    SplittableRandom rnd = new SplittableRandom(12);
    int[] testLabels = new int[400];
    Tensor test = bars(rnd, 400, testLabels);
    double before = trainer.evaluate(test, testLabels, 100).accuracy();
    double firstLoss = 0;
    double lastLoss = 0;
    int[] labels = new int[32];
    for (int step = 0; step < 150; step++) {
      Trainer.StepResult r = trainer.step(bars(rnd, 32, labels), labels);
      if (step < 10) {
        firstLoss += r.loss() / 10;
      }
      if (step >= 140) {
        lastLoss += r.loss() / 10;
      }
    }
    Trainer.Evaluation after = trainer.evaluate(test, testLabels, 100);
    assertTrue(lastLoss < 0.5 * firstLoss, "training loss " + firstLoss + " -> " + lastLoss);
    assertTrue(after.accuracy() >= 0.9, "test accuracy " + after.accuracy() + " (untrained " + before + ")");
    assertTrue(before < 0.5, "an untrained net should be near chance, got " + before);
  }
}
