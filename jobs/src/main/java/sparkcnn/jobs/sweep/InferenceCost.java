package sparkcnn.jobs.sweep;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.score.Scorer;
import sparkcnn.driver.score.ScoringModels;
import sparkcnn.kernels.Parallel;

/**
 * A trained model's inference cost, measured on the driver through the scoring path (batch norm folded, dropout
 * gone, top-5 rows out; the same code as {@code score}): wall time per batch at batch 1 and at batch 64, after
 * a warm-up, over at least {@code seconds} or a few batches. The median batch counts, not the mean: on a shared
 * machine another process's burst lengthens some batches, and the median ignores them. Inputs are random pixels
 * already decoded: reading and decoding images is the same for every trial and is not the model's cost.
 */
public final class InferenceCost {
  private InferenceCost() {}

  /** latency_ms_batch1, images_per_second_batch1, latency_ms_batch64, images_per_second_batch64, threads. */
  public static Map<String, Object> measure(ScoringModels.Member member, double seconds) {
    return measure(member, seconds, 1, 64);
  }

  /** latency_ms_batchB and images_per_second_batchB for each batch size B, and threads. */
  public static Map<String, Object> measure(ScoringModels.Member member, double seconds, int... batches) {
    ScoringModels models = new ScoringModels(List.of(member));
    Map<String, Object> out = new LinkedHashMap<>();
    int threads = Parallel.threads();
    try {
      for (int batch : batches) {
        Scorer scorer = new Scorer(models, 5, 1, batch, ImageDecoding.DEFAULT_MAX_PIXELS); // inputs are tensors
        List<Scorer.Input> inputs = inputs(member, batch);
        for (int i = 0; i < 3; i++) {
          drain(scorer.score(inputs.iterator())); // warm-up: JIT, the model pool
        }
        long t0 = System.nanoTime();
        List<Long> times = new ArrayList<>();
        while (times.size() < 5 || System.nanoTime() - t0 < seconds * 1e9) {
          long t = System.nanoTime();
          drain(scorer.score(inputs.iterator()));
          times.add(System.nanoTime() - t);
        }
        java.util.Collections.sort(times);
        double median = times.get(times.size() / 2) / 1e9;
        out.put("latency_ms_batch" + batch, median * 1e3);
        out.put("images_per_second_batch" + batch, batch / median);
      }
    } finally {
      models.close();
    }
    out.put("threads", threads);
    return out;
  }

  private static List<Scorer.Input> inputs(ScoringModels.Member member, int n) {
    int per = member.spec().channels() * member.spec().height() * member.spec().width();
    SplittableRandom r = new SplittableRandom(n);
    List<Scorer.Input> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] planes = new float[per];
      for (int j = 0; j < per; j++) {
        planes[j] = (float) r.nextDouble();
      }
      out.add(new Scorer.Input("random/" + i, null, planes, null));
    }
    return out;
  }

  private static void drain(Iterator<Scorer.Row> rows) {
    while (rows.hasNext()) {
      rows.next();
    }
  }
}
