package sparkcnn.driver.score;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.TaskContext;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.kernels.Parallel;
import sparkcnn.kernels.Tensor;
import sparkcnn.kernels.Shape;
import sparkcnn.models.Model;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.SoftmaxCrossEntropy;

/**
 * Scores images partition by partition, streaming: decode a batch, run every ensemble member on every crop,
 * average the probabilities, emit one row per image, move on. Memory stays flat whatever the set's size. An image
 * that cannot be read gives a row with its error instead of failing the job.
 */
public final class Scorer implements Serializable {
  /** One output row: the image, its top-k classes and probabilities, or the error that stopped it. */
  public record Row(String path, int[] classes, float[] probabilities, String error) implements Serializable {}

  /** An image to score: its path and either its bytes or an error from reading them. */
  public record Input(String path, byte[] bytes, float[] planes, String error) {}

  /**
   * Sees every decoded input (its crops' planes) scored in this JVM; null except in tests. The heap test counts
   * images with it, and keeps them all once to prove that its measure catches a scorer that leaks.
   */
  static volatile Consumer<float[]> decodedProbe;

  private final ScoringModels models;
  private final int topK;
  private final int crops;
  private final int batch;
  private final long maxPixels;
  /** Crops per forward pass, within the activation budget; 0 until the first batch (computed on the executor). */
  private transient volatile int rowsPerForward;

  /**
   * crops: 1 (centre), 5 (corners and centre) or 10 (those and their mirrors); maxPixels: the largest image decoded
   * (see {@link ImageDecoding#read}).
   */
  public Scorer(ScoringModels models, int topK, int crops, int batch, long maxPixels) {
    if (crops != 1 && crops != 5 && crops != 10) {
      throw new IllegalArgumentException("crops: expected 1, 5 or 10, got " + crops);
    }
    this.models = models;
    this.topK = Math.min(topK, models.first().classes());
    this.crops = crops;
    this.batch = batch;
    this.maxPixels = maxPixels;
  }

  /**
   * Crops one forward pass takes: every layer keeps an output buffer the size of its output (EfficientNet-B0 at
   * 224: 79 MB an image; ResNet-50: 128 MB), so a batch of 64 would need 5-8 GB per model. The pass is cut to stay
   * within {@link #activationBudget} for the largest member, at least one crop. Computed once per executor.
   */
  private int rowsPerForward(Model[] ms, int n) {
    int rows = rowsPerForward;
    if (rows == 0) {
      var spec = models.first();
      long perImage = 1;
      for (Model m : ms) {
        long[] sum = {0};
        m.root().trace(new int[] {1, spec.channels(), spec.height(), spec.width()}, ReceptiveField.PIXEL,
            (layer, in, out) -> sum[0] += Shape.size(out));
        perImage = Math.max(perImage, sum[0]);
      }
      rows = rowsWithin(activationBudget(), perImage, batch * crops);
      rowsPerForward = rows;
    }
    return Math.min(rows, n);
  }

  /** Rows of perImage floats that fit in budget bytes, between 1 and max. */
  static int rowsWithin(long budget, long perImage, int max) {
    return (int) Math.max(1, Math.min(max, budget / (4 * Math.max(1, perImage))));
  }

  /**
   * Bytes of layer outputs one forward pass may hold: -Dsparkcnn.score.activationBytes, else an eighth of the
   * heap (room for several tasks' models and their inputs).
   */
  static long activationBudget() {
    String v = System.getProperty("sparkcnn.score.activationBytes");
    return v != null ? Long.parseLong(v.trim()) : Runtime.getRuntime().maxMemory() / 8;
  }

  /** The model's output classes. */
  public int classes() {
    return models.first().classes();
  }

  /**
   * Rows for inputs, computed lazily batch by batch. Inside a Spark task the kernels use the task's cores
   * (spark.task.cpus), as training and evaluation do: an executor runs as many scoring tasks as it has cores, and
   * each one splitting its kernels over all of them put twice the threads on the cores and made each task wait
   * on the other's share (the difference was within this machine's noise in a handful of local-mode runs). The
   * pool is the JVM's, so in local mode the driver's kernels keep that size afterwards, as after evaluation.
   */
  public Iterator<Row> score(Iterator<Input> inputs) {
    TaskContext task = TaskContext.get();
    if (task != null) {
      Parallel.setThreads(Math.max(1, task.cpus()));
    }
    return Batched.lazily(inputs, batch, this::scoreBatch);
  }

  /** Scores one batch of inputs: decode and crop each, run the ensemble, average, take the top k. */
  List<Row> scoreBatch(List<Input> inputs) {
    var spec = models.first();
    int c = spec.channels();
    int h = spec.height();
    int w = spec.width();
    int per = c * h * w;
    List<Row> rows = new ArrayList<>(inputs.size());
    List<Integer> ok = new ArrayList<>();
    float[] pixels = new float[inputs.size() * crops * per];
    for (int i = 0; i < inputs.size(); i++) {
      Input in = inputs.get(i);
      try {
        if (in.error() != null) {
          throw new IOException(in.error());
        }
        float[] views = in.planes() != null ? in.planes() : crops(in.bytes(), c, h, w);
        Consumer<float[]> probe = decodedProbe;
        if (probe != null) {
          probe.accept(views);
        }
        System.arraycopy(views, 0, pixels, ok.size() * crops * per, crops * per);
        ok.add(i);
        rows.add(null);
      } catch (IOException | RuntimeException e) {
        rows.add(new Row(in.path(), null, null, e.getMessage() == null ? e.toString() : e.getMessage()));
      }
    }
    if (ok.isEmpty()) {
      return rows;
    }
    int n = ok.size() * crops;
    int k = spec.classes();
    float[] mean = new float[ok.size() * k];
    Model[] ms = models.acquire();
    try {
      SoftmaxCrossEntropy softmax = new SoftmaxCrossEntropy(0f);
      int chunk = rowsPerForward(ms, n);
      for (int mi = 0; mi < ms.length; mi++) {
        var norm = models.members().get(mi).normalization();
        float weight = 1f / (crops * ms.length);
        // In chunks that keep every layer's output buffer within the activation budget.
        for (int from = 0; from < n; from += chunk) {
          int m = Math.min(chunk, n - from);
          Tensor x = Tensor.zeros(m, c, h, w);
          // Each member normalizes its own copy of the pixels.
          System.arraycopy(pixels, from * per, x.data, 0, m * per);
          if (norm != null) {
            for (int s = 0; s < m; s++) {
              norm.apply(x.data, s * per, c, h * w);
            }
          }
          softmax.forward(ms[mi].forward(x, false), new int[m]);
          Tensor p = softmax.probabilities();
          for (int s = 0; s < m; s++) {
            for (int j = 0; j < k; j++) {
              mean[((from + s) / crops) * k + j] += weight * p.data[p.offset + s * k + j];
            }
          }
        }
      }
    } finally {
      models.release(ms);
    }
    for (int o = 0; o < ok.size(); o++) {
      int[] best = new int[topK];
      float[] prob = new float[topK];
      for (int t = 0; t < topK; t++) {
        int arg = -1;
        for (int j = 0; j < k; j++) {
          boolean taken = false;
          for (int u = 0; u < t; u++) {
            taken |= best[u] == j;
          }
          if (!taken && (arg < 0 || mean[o * k + j] > mean[o * k + arg])) {
            arg = j;
          }
        }
        best[t] = arg;
        prob[t] = mean[o * k + arg];
      }
      rows.set(ok.get(o), new Row(inputs.get(ok.get(o)).path(), best, prob, null));
    }
    return rows;
  }

  /** The crops of one encoded image as [0, 1] planes, crops x (C, H, W). */
  float[] crops(byte[] bytes, int c, int h, int w) throws IOException {
    BufferedImage img = ImageDecoding.read(bytes, maxPixels);
    if (crops == 1) {
      return toFloats(ImageDecoding.fit(img, c, h, w));
    }
    // The usual protocol: resize to 8/7 of the input (256 for 224), take the corners and the centre.
    int bh = Math.round(h * 8f / 7f);
    int bw = Math.round(w * 8f / 7f);
    float[] big = toFloats(ImageDecoding.fit(img, c, bh, bw));
    int[][] at = {{(bh - h) / 2, (bw - w) / 2}, {0, 0}, {0, bw - w}, {bh - h, 0}, {bh - h, bw - w}};
    float[] out = new float[crops * c * h * w];
    for (int v = 0; v < crops; v++) {
      int[] o = at[v % 5];
      boolean mirror = v >= 5;
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            int sj = mirror ? o[1] + w - 1 - j : o[1] + j;
            out[((v * c + ch) * h + i) * w + j] = big[(ch * bh + o[0] + i) * bw + sj];
          }
        }
      }
    }
    return out;
  }

  private static float[] toFloats(byte[] px) {
    float[] f = new float[px.length];
    ImageDecoding.toUnit(px, 0, f, 0, px.length);
    return f;
  }
}
