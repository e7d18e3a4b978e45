package sparkcnn.driver.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
      int n = Math.max(batch * partitions * 4, 4096);
      JavaRDD<SampleBlock> data = Datasets.generated(sc, n, spec.channels(), spec.height(), spec.width(),
          spec.classes(), partitions, 2);
      Model m = Zoo.build(spec).init(1);
      ScoringModels models = new ScoringModels(List.of(new ScoringModels.Member(spec, m.params(), m.state(),
          new Normalization(new float[] {0.5f}, new float[] {0.25f}))));
      // Broadcast as in the scoring job, so the weights are not in every task's closure.
      Broadcast<Scorer> scorer = sc.broadcast(new Scorer(models, 5, 1, batch, ImageDecoding.DEFAULT_MAX_PIXELS));
      pass(data, scorer); // warm-up: JIT and the executors' model pools
      long images = 0;
      long t0 = System.nanoTime();
      int passes = 0;
      while (passes < 2 || System.nanoTime() - t0 < seconds * 1e9) {
        images += pass(data, scorer);
        passes++;
      }
      double s = (System.nanoTime() - t0) / 1e9;
      scorer.destroy();
      models.close();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("model", spec.name());
      r.put("input", spec.input());
      r.put("batch", batch);
      r.put("partitions", partitions);
      r.put("images", images);
      r.put("seconds", s);
      r.put("images_per_second", images / s);
      return r;
    } finally {
      sc.stop();
    }
  }

  private static long pass(JavaRDD<SampleBlock> data, Broadcast<Scorer> scorer) {
    return data.mapPartitions(it -> {
      SampleBlock b = it.next();
      int per = b.sampleBytes();
      Iterator<Scorer.Input> inputs = new Iterator<>() {
        private int i;

        @Override
        public boolean hasNext() {
          return i < b.size();
        }

        @Override
        public Scorer.Input next() {
          float[] planes = new float[per];
          ImageDecoding.toUnit(b.pixels, i * per, planes, 0, per);
          return new Scorer.Input("generated/" + i++, null, planes, null);
        }
      };
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
