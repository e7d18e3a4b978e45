package sparkcnn.models;

import sparkcnn.kernels.Tensor;
import sparkcnn.models.optim.GradClip;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.Schedule;

/**
 * Single-JVM training: zero the gradients, forward in training mode, loss, backward, optional global-norm
 * clipping, one optimizer step at the schedule's rate. Kernels run multi-threaded on the kernel pool. This is the
 * reference the distributed trainer must reproduce step for step.
 */
public final class Trainer {
  /** What one step did. */
  public record StepResult(double loss, int correct, int count, float lr, double gradNorm) {}

  /** Loss and accuracy over a dataset, in evaluation mode. */
  public record Evaluation(double loss, double accuracy, int count) {}

  private final Model model;
  private final Optimizer optimizer;
  private final Schedule schedule;
  private final SoftmaxCrossEntropy loss;
  private final double clipNorm;
  private final int frozen;

  /**
   * @param clipNorm global gradient-norm limit, or 0 for none
   * @param frozen leading parameters the optimizer leaves alone (a frozen backbone), 0 for none
   */
  public Trainer(Model model, Optimizer optimizer, Schedule schedule, float labelSmoothing, double clipNorm,
      int frozen) {
    if (clipNorm < 0 || frozen < 0 || frozen > model.paramCount()) {
      throw new IllegalArgumentException("trainer: clip norm must be >= 0 and frozen parameters within [0, "
          + model.paramCount() + "]");
    }
    this.model = model;
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.loss = new SoftmaxCrossEntropy(labelSmoothing);
    this.clipNorm = clipNorm;
    this.frozen = frozen;
  }

  public Model model() {
    return model;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  /** One step on a batch: images (N, C, H, W) and their labels. */
  public StepResult step(Tensor images, int[] labels) {
    model.zeroGrad();
    Tensor logits = model.forward(images, true);
    double l = loss.forward(logits, labels);
    int correct = loss.correct();
    model.backward(loss.backward());
    double norm = clipNorm > 0 ? GradClip.clipGlobalNorm(model.grads(), clipNorm) : Double.NaN;
    float lr = schedule.lr(optimizer.steps());
    optimizer.step(model.params(), model.grads(), model.decayMask(), frozen, lr);
    return new StepResult(l, correct, logits.dim(0), lr, norm);
  }

  /** Evaluation mode (running batch-norm statistics, no dropout) over images in batches. */
  public Evaluation evaluate(Tensor images, int[] labels, int batch) {
    int n = images.dim(0);
    int per = images.size() / n;
    int[] shape = images.shape();
    double total = 0;
    int correct = 0;
    for (int i = 0; i < n; i += batch) {
      int b = Math.min(batch, n - i);
      shape[0] = b;
      Tensor x = new Tensor(images.data, images.offset + i * per, shape);
      int[] y = java.util.Arrays.copyOfRange(labels, i, i + b);
      total += loss.forward(model.forward(x, false), y) * b;
      correct += loss.correct();
    }
    return new Evaluation(total / n, correct / (double) n, n);
  }
}
