package sparkcnn.driver.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sparkcnn.driver.SparkSetup;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.score.Scorer;
import sparkcnn.driver.score.ScoringModels;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * Inference throughput through the scoring path (local mode on all cores, generated images already in memory):
 * batches through the folded model, top-k rows out, per partition. File reading and image decoding are not in
 * this figure (they depend on the storage and the format); everything after them is.
 */
public final class ScoreBench {
  /** Batches a partition scores before the timing starts, at least. */
  private static final int WARM_UP = 4;
  /**
   * Batches a partition holds. With one, EfficientNet-B0 at 224 measured 0.91x (92.4-92.8 against 99.1-101.8
   * images/s in the same hour, two partitions; not analyzed further); with two it matched the 4096 images.
   */
  private static final int BATCHES = 2;
  private final ModelSpec spec;
  private final int batch;
  private final int partitions;
  private final double seconds;
  private final PrintStream progress;

  public ScoreBench(ModelSpec spec, int batch, int partitions, double seconds, PrintStream progress) {
    this.spec = spec;
    this.batch = batch;
    this.partitions = partitions;
    this.seconds = seconds;
    this.progress = progress;
  }

  public Map<String, Object> run() {
    progress.printf(Locale.ROOT, "bench score: %s batch %d on %d partitions ...%n", spec.name(), batch, partitions);
    JavaSparkContext sc = SparkSetup.local("local[" + partitions + "]", "sparkcnn-bench-score");
    sc.setLogLevel("WARN");
    try {
      // BATCHES batches a partition, scored as many times over as a pass needs (see passes): a fixed 4096 images
      // scored three times made EfficientNet-B0 at 224 take 150 s whatever --seconds asked for. A pass is at least
      // BATCHES batches a partition, so a model slow at this batch still runs past --seconds (a smaller --batch).
      int n = BATCHES * batch * partitions;
      JavaRDD<SampleBlock> data = Datasets.generated(sc, n, spec.channels(), spec.height(), spec.width(),
          spec.classes(), partitions, 2);
      Model m = Zoo.build(spec).init(1);
      ScoringModels models = new ScoringModels(List.of(new ScoringModels.Member(spec, m.params(), m.state(),
          new Normalization(new float[] {0.5f}, new float[] {0.25f}))));
      // Broadcast as in the scoring job, so the weights are not in every task's closure.
      Broadcast<Scorer> scorer = sc.broadcast(new Scorer(models, 5, 1, batch, ImageDecoding.DEFAULT_MAX_PIXELS));
      // Warm-up (the JIT and the executors' model pools): a quarter of the time asked for and at least WARM_UP
      // batches a partition (after one pass of one batch, the batch-1 latency measured after the timed passes was
      // 18.6-19.3 ms against 12.7-13.9 after longer runs: the JIT still at work, it seems). Then the timed passes.
      Pace pace = new Pace();
      passes(data, scorer, seconds / 4, 1, (long) WARM_UP * batch * partitions, pace);
      long t0 = System.nanoTime();
      int warmUpPasses = pace.passes;
      long images = passes(data, scorer, seconds, 2, 0, pace);
      double s = (System.nanoTime() - t0) / 1e9;
      scorer.destroy();
      models.close();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("model", spec.name());
      r.put("input", spec.input());
      r.put("batch", batch);
      r.put("partitions", partitions);
      r.put("images", images);
      r.put("passes", pace.passes - warmUpPasses);
      r.put("seconds", s);
      r.put("images_per_second", images / s);
      return r;
    } finally {
      sc.stop();
    }
  }

  /**
   * How many times over a pass scores each task's images, how long the last pass took (NaN before any), and how
   * many passes ran.
   */
  private static final class Pace {
    int repeat = 1;
    double last = Double.NaN;
    int passes;
  }

  /**
   * Passes for at least the given seconds, count and images, each aimed at a quarter of these seconds (of the
   * phase's, not --seconds), paced from the pass before (passes of a few images would time Spark's job launch more
   * than the model); the number of images scored.
   */
  private static long passes(JavaRDD<SampleBlock> data, Broadcast<Scorer> scorer, double seconds, int least,
      long leastImages, Pace pace) {
    long images = 0;
    long start = System.nanoTime();
    for (int done = 0; done < least || images < leastImages || System.nanoTime() - start < seconds * 1e9; done++) {
      if (!Double.isNaN(pace.last)) {
        pace.repeat = repeats(pace.repeat, pace.last, seconds / 4);
      }
      long p0 = System.nanoTime();
      images += pass(data, scorer, pace.repeat);
      pace.last = (System.nanoTime() - p0) / 1e9;
      pace.passes++;
    }
    return images;
  }

  /**
   * How many times over the next pass scores each task's images so that it takes about target seconds, given
   * that the last pass, repeat times over, took last seconds; at least once, at most 64 times the last (one pass
   * timed far too fast, a clock's or the machine's hiccup, must not make the next one far longer than asked) and
   * 2^20.
   */
  static int repeats(int repeat, double last, double target) {
    double scaled = repeat * target / Math.max(last, 1e-6);
    return (int) Math.max(1, Math.min(Math.min(64.0 * repeat, 1 << 20), Math.round(scaled)));
  }

  /** The block's images as scoring inputs (pixels scaled to [0, 1]), all of them in order, repeat times over. */
  static Iterator<Scorer.Input> rounds(SampleBlock b, int repeat) {
    int per = b.sampleBytes();
    long total = (long) b.size() * repeat;
    return new Iterator<>() {
      private long i;

      @Override
      public boolean hasNext() {
        return i < total;
      }

      @Override
      public Scorer.Input next() {
        if (i >= total) {
          throw new NoSuchElementException("generated images: all " + total + " scored");
        }
        int k = (int) (i % b.size());
        float[] planes = new float[per];
        ImageDecoding.toUnit(b.pixels, k * per, planes, 0, per);
        return new Scorer.Input("generated/" + i++, null, planes, null);
      }
    };
  }

  /** Each partition's block of images scored repeat times over; the number of images scored. */
  private static long pass(JavaRDD<SampleBlock> data, Broadcast<Scorer> scorer, int repeat) {
    return data.mapPartitions(it -> {
      Iterator<Scorer.Input> inputs = rounds(it.next(), repeat);
      Iterator<Scorer.Row> rows = scorer.value().score(inputs);
      List<Long> count = new ArrayList<>();
      long c = 0;
      while (rows.hasNext()) {
        rows.next();
        c++;
      }
      count.add(c);
      return count.iterator();
    }).reduce(Long::sum);
  }
}
