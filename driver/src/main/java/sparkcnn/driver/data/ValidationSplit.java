package sparkcnn.driver.data;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * A stratified validation set carved out of the training samples: in every class the share {@code fraction} of
 * its samples (rounded) with the smallest hash of (sample, seed). The hash is of the sample's source (file path or
 * table record) where it has one, else of its pixels and label, so the split depends neither on the partitioning
 * nor on the order the samples come in, and every trial of a sweep over the same data holds out the same samples.
 * Runs before any resize, so trials at other resolutions hold out the same samples too.
 */
public final class ValidationSplit {
  /** The training blocks without the held-out samples, the held-out ones, and their counts. */
  public record Split(JavaRDD<SampleBlock> train, JavaRDD<SampleBlock> validation, long trainSamples,
      long validationSamples) {}

  private ValidationSplit() {}

  public static Split of(JavaRDD<SampleBlock> blocks, double fraction, long seed, String what) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException(what + ": a validation fraction must be in (0, 1), got " + fraction);
    }
    // (label, key) pairs of every sample on the driver, 16 bytes a sample, then one threshold per class.
    List<long[]> keyed = blocks.map(b -> {
      long[] lk = new long[2 * b.size()];
      for (int i = 0; i < b.size(); i++) {
        lk[2 * i] = b.labels[i];
        lk[2 * i + 1] = key(b, i, seed);
      }
      return lk;
    }).collect();
    List<List<Long>> perClass = new ArrayList<>();
    for (long[] lk : keyed) {
      for (int i = 0; i < lk.length; i += 2) {
        int label = (int) lk[i];
        while (perClass.size() <= label) {
          perClass.add(new ArrayList<>());
        }
        perClass.get(label).add(lk[i + 1]);
      }
    }
    long[] threshold = new long[perClass.size()];
    long held = 0;
    long total = 0;
    for (int c = 0; c < threshold.length; c++) {
      long[] keys = perClass.get(c).stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(keys);
      int k = (int) Math.round(fraction * keys.length);
      threshold[c] = k == 0 ? Long.MIN_VALUE : keys[k - 1];
      held += k;
      total += keys.length;
    }
    if (held == 0 || held == total) {
      throw new IllegalArgumentException(what + ": a validation fraction of " + fraction + " of " + total
          + " samples leaves " + (held == 0 ? "no validation samples" : "no training samples")
          + "; choose a fraction that holds out some but not all");
    }
    JavaRDD<SampleBlock> train = Datasets.cache(blocks.map(b -> pick(b, threshold, seed, false)), what);
    JavaRDD<SampleBlock> validation = Datasets.cache(blocks.map(b -> pick(b, threshold, seed, true)),
        what + " (validation)");
    return new Split(train, validation, total - held, held);
  }

  private static SampleBlock pick(SampleBlock b, long[] threshold, long seed, boolean held) {
    return Subset.where(b, i -> {
      long t = threshold[b.labels[i]];
      boolean in = t != Long.MIN_VALUE && key(b, i, seed) <= t;
      return in == held ? b.labels[i] : -1;
    });
  }

  /** The sample's draw: its source when known (stable across decodings and sizes), else its pixels and label. */
  static long key(SampleBlock b, int i, long seed) {
    if (b.sources != null && b.sources[i] != null) {
      byte[] s = b.sources[i].getBytes(StandardCharsets.UTF_8);
      return Subset.hash(s, 0, s.length, b.labels[i], seed);
    }
    int per = b.sampleBytes();
    return Subset.hash(b.pixels, i * per, per, b.labels[i], seed);
  }
}
