package sparkcnn.driver.train;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sparkcnn.driver.ModelPools;
import sparkcnn.driver.data.BatchMaker;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.kernels.Parallel;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;
import sparkcnn.models.SoftmaxCrossEntropy;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * Distributed evaluation over a test set: every partition scores its samples with the model's inference graph
 * (running batch statistics folded into the convolutions, no dropout, no side outputs) and returns loss, top-1
 * and top-5 hits and a confusion matrix. For a segmentation model (per-pixel output) every pixel counts as a row
 * (pixels with the ignore index do not), and the confusion matrix is over pixels, from which
 * {@link SegmentationMetrics} follow.
 */
public final class Evaluator {
  /** The result over the whole set. */
  /** count: samples, or pixels for a segmentation model (perPixel). */
  public record Result(double loss, double accuracy, double top5, long count, int classes, long[] confusion,
      boolean perPixel) {
    public long confusion(int truth, int predicted) {
      return confusion[truth * classes + predicted];
    }

    /** Pixel accuracy and IoU from the pixel confusion matrix (meaningful when perPixel). */
    public SegmentationMetrics segmentation() {
      return SegmentationMetrics.of(confusion, classes);
    }
  }

  /** Evaluation models by spec: one per concurrent task, for the four specs used last (sweeps interleave). */
  private static final ModelPools<Model> MODELS = new ModelPools<>(4);
  /** Segmentation: pixels per evaluation forward (16 images of 64x64). */
  private static final int PIXELS_PER_BATCH = 1 << 16;

  /** Drops the evaluation models this JVM keeps for spec (on every executor when a run ends: RunCleanup). */
  public static void forget(ModelSpec spec) {
    MODELS.forget(spec.toString());
  }

  /** Idle evaluation models this JVM holds for spec. */
  public static int cachedModels(ModelSpec spec) {
    return MODELS.size(spec.toString());
  }

  private Evaluator() {}

  public static Result evaluate(JavaSparkContext sc, JavaRDD<SampleBlock> data, ModelSpec spec, float[] params,
      float[] state, Normalization norm, int batch) {
    return evaluate(sc, data, spec, params, state, norm, batch, -1);
  }

  /** ignoreIndex: the mask value whose pixels are not scored (negative: none). */
  public static Result evaluate(JavaSparkContext sc, JavaRDD<SampleBlock> data, ModelSpec spec, float[] params,
      float[] state, Normalization norm, int batch, int ignoreIndex) {
    if (Zoo.perPixel(spec)) {
      // Per-pixel logits and probabilities are H * W times a classifier's: keep a batch to about 64K pixels.
      batch = Math.max(1, Math.min(batch, PIXELS_PER_BATCH / (spec.height() * spec.width())));
    }
    int rows = batch;
    Broadcast<Snapshot> bc = sc.broadcast(new Snapshot(0, params, state, null));
    // Models are pooled per spec, folded into their inference graph (batch norm in the convolutions, activations
    // in their bias pass) once, and reloaded from each broadcast, which folds the new parameters again: evaluating
    // every epoch reuses them, and evaluation runs what score runs.
    String key = spec.toString();
    try {
      EvalPartial total = data.treeAggregate(new EvalPartial(), (acc, block) -> {
        TaskContext task = TaskContext.get();
        Parallel.setThreads(Math.max(1, task.cpus()));
        // A task takes a model from the pool and gives it back: never shared, never more than the tasks at once
        // (a pool keyed by thread id grew with every new task thread of the executor).
        Model m = MODELS.acquire(key, () -> Zoo.build(spec).foldForInference());
        try {
          m.load(bc.value().params, bc.value().state);
          return acc.plus(score(m, block, norm, rows, spec.classes(), ignoreIndex));
        } finally {
          MODELS.release(key, m);
        }
      }, EvalPartial::plus, 2);
      return new Result(total.lossSum / total.count, total.correct / (double) total.count,
          total.top5 / (double) total.count, total.count, spec.classes(), total.confusion, Zoo.perPixel(spec));
    } finally {
      bc.destroy();
    }
  }

  /** Evaluation totals of one block. */
  static EvalPartial score(Model m, SampleBlock block, Normalization norm, int batch, int classes,
      int ignoreIndex) {
    EvalPartial out = new EvalPartial();
    out.confusion = new long[classes * classes];
    BatchMaker maker = new BatchMaker();
    SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(0f, ignoreIndex, null);
    for (int from = 0; from < block.size(); from += batch) {
      int n = Math.min(batch, block.size() - from);
      Tensor x = maker.make(block, null, from, n, java.util.List.of(), norm, 0, 0, 0);
      int[] labels = maker.labels();
      double mean = loss.forward(m.forward(x, false), labels);
      Tensor p = loss.probabilities();
      // Rows: n samples, or n * H * W pixels; counted: those not ignored.
      int rows = p.dim(0);
      int counted = block.masks == null ? n : loss.count();
      out.lossSum += mean * counted;
      for (int i = 0; i < rows; i++) {
        if (ignoreIndex >= 0 && labels[i] == ignoreIndex) {
          continue;
        }
        int best = 0;
        int above = 0;
        float truth = p.data[p.offset + i * classes + labels[i]];
        for (int j = 0; j < classes; j++) {
          float v = p.data[p.offset + i * classes + j];
          if (v > p.data[p.offset + i * classes + best]) {
            best = j;
          }
          if (v > truth) {
            above++;
          }
        }
        out.correct += best == labels[i] ? 1 : 0;
        out.top5 += above < 5 ? 1 : 0;
        out.confusion[labels[i] * classes + best]++;
      }
      out.count += counted;
    }
    return out;
  }
}
