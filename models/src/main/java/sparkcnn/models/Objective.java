package sparkcnn.models;

import java.util.List;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.SideOutput;

/**
 * What training minimizes: the main softmax cross-entropy plus each side output's, times its weight. It works
 * in micro-batches: a global batch is cut into micro-batches that each run forward and backward on their own
 * (batch norm sees one micro-batch, a "ghost batch"), and their gradients, scaled by their share of the global
 * batch, sum to the gradient of the global mean loss. Because the cut does not depend on who runs which
 * micro-batch, one JVM and any number of Spark partitions compute the same step.
 */
public final class Objective {
  /** Sums over micro-batches: loss times rows, correct rows, rows (rows are samples, or pixels for per-pixel logits). */
  public record Totals(double lossSum, long correct, long count) {
    public Totals plus(Totals o) {
      return new Totals(lossSum + o.lossSum, correct + o.correct, count + o.count);
    }

    public double meanLoss() {
      return count == 0 ? Double.NaN : lossSum / count;
    }

    public double accuracy() {
      return count == 0 ? Double.NaN : correct / (double) count;
    }
  }

  public static final Totals NONE = new Totals(0, 0, 0);

  private final Model model;
  private final SoftmaxCrossEntropy main;
  private final List<SideOutput> sides;
  private final SoftmaxCrossEntropy[] sideLosses;

  public Objective(Model model, float labelSmoothing) {
    this(model, labelSmoothing, -1, null);
  }

  /**
   * With an ignore index (negative: none) and class weights (null: none) for per-pixel losses. Each micro-batch
   * takes its own weighted mean, scaled by its share of the global batch's samples, as data-parallel PyTorch
   * does per replica; without weights and ignored pixels that is exactly the global mean.
   */
  public Objective(Model model, float labelSmoothing, int ignoreIndex, float[] classWeights) {
    this.model = model;
    this.main = new SoftmaxCrossEntropy(labelSmoothing, ignoreIndex, classWeights);
    this.sides = model.sideOutputs();
    this.sideLosses = new SoftmaxCrossEntropy[sides.size()];
    for (int i = 0; i < sideLosses.length; i++) {
      sideLosses[i] = new SoftmaxCrossEntropy(labelSmoothing, ignoreIndex, classWeights);
    }
  }

  /** The loss of a forward: training includes the weighted side outputs; evaluation only the main output. */
  public double forward(Tensor x, int[] labels, boolean training) {
    double loss = main.forward(model.forward(x, training), labels);
    if (training) {
      for (int i = 0; i < sides.size(); i++) {
        loss += sides.get(i).weight() * sideLosses[i].forward(sides.get(i).logits(), labels);
      }
    }
    return loss;
  }

  /** Back-propagates the last training forward's loss times scale; gradients accumulate into the model. */
  public Tensor backward(float scale) {
    return backward(scale, null);
  }

  /** The same, with the model's gradient-ready signal (see {@link Model#backward(Tensor, java.util.function.IntConsumer)}). */
  public Tensor backward(float scale, java.util.function.IntConsumer ready) {
    for (int i = 0; i < sides.size(); i++) {
      Tensor d = sideLosses[i].backward();
      scaleInPlace(d, scale * sides.get(i).weight());
      sides.get(i).setLogitsGradient(d);
    }
    Tensor d = main.backward();
    scaleInPlace(d, scale);
    return ready == null ? model.backward(d) : model.backward(d, ready);
  }

  /**
   * Forward and backward of one micro-batch x of a global batch of globalBatch samples; dropout masks come from
   * maskSeed so whoever runs this micro-batch draws the same ones. Returns this micro-batch's totals.
   */
  public Totals microBatch(Tensor x, int[] labels, int globalBatch, long maskSeed) {
    return microBatch(x, labels, globalBatch, maskSeed, null);
  }

  /** The same, with the gradient-ready signal of its backward (null for none). */
  public Totals microBatch(Tensor x, int[] labels, int globalBatch, long maskSeed, java.util.function.IntConsumer ready) {
    model.reseedDropout(maskSeed);
    double loss = forward(x, labels, true);
    if (ready != null) {
      ready.accept(model.paramCount()); // the batch statistics are final once the forward is done
    }
    backward(x.dim(0) / (float) globalBatch, ready);
    return new Totals(loss * main.count(), main.correct(), main.count());
  }

  /** Evaluation-mode totals of one batch (running batch-norm statistics, no dropout, no side outputs). */
  public Totals evaluate(Tensor x, int[] labels) {
    double loss = forward(x, labels, false);
    return new Totals(loss * main.count(), main.correct(), main.count());
  }

  /** The main output's loss, for its probabilities and per-row counts. */
  public SoftmaxCrossEntropy mainLoss() {
    return main;
  }

  private static void scaleInPlace(Tensor t, float s) {
    if (s != 1f) {
      for (int i = 0; i < t.size(); i++) {
        t.data[t.offset + i] *= s;
      }
    }
  }
}
