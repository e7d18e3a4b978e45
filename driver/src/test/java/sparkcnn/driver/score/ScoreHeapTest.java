package sparkcnn.driver.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.SparkTestContext;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.data.Normalization;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * Scoring keeps a flat heap, measured so that a leak would show: 10,000 image files scored at 3 x 96 x 96 (each
 * decoded input is 110,592 bytes of floats: 1.1 GB if the scorer kept them all) through the scoring job into
 * Parquet, in local mode (the executors are this JVM). Every 500 images the test forces a full collection and
 * records the live heap; the slope of a least-squares line through those points (bytes retained per image
 * scored) must be under 8 KB, a fourteenth of one input. The same measure on a scorer that keeps every input (the
 * probe holds on to them) must see most of their 110 KB per image, so the measure itself is shown able to fail.
 * Batches of 16 keep what the other tasks hold at a sample's moment (their inputs and activations) small: that is
 * the noise of each sample.
 */
class ScoreHeapTest {
  @TempDir
  Path dir;

  private static final int PLANES_BYTES = 3 * 96 * 96 * 4;

  /** n files (10 distinct 8 x 8 PNGs of about 250 bytes, upscaled by the scorer), 1,000 to a folder. */
  private Path images(String name, int n) throws IOException {
    Random r = new Random(1);
    byte[][] pngs = new byte[10][];
    for (int k = 0; k < pngs.length; k++) {
      BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          img.setRGB(x, y, r.nextInt(1 << 24));
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(img, "png", out);
      pngs[k] = out.toByteArray();
    }
    Path root = dir.resolve(name);
    for (int i = 0; i < n; i++) {
      Path sub = Files.createDirectories(root.resolve("part" + i / 1000));
      Files.write(sub.resolve(i + ".png"), pngs[i % pngs.length]);
    }
    return root;
  }

  private static long fullCollections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      String name = gc.getName();
      if (name.contains("Old") || name.contains("MarkSweep") || name.contains("Full")) {
        n += gc.getCollectionCount();
      }
    }
    return n;
  }

  /** The live heap after a full collection, or -1 if the JVM skipped the collection (then the sample is void). */
  private static long liveHeap() {
    long before = fullCollections();
    System.gc();
    long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    return fullCollections() > before ? used : -1;
  }

  /**
   * Scores n files while sampling the live heap every `every` images (in the scoring thread that reached the
   * count; the other tasks are stopped by the collection). keep: the probe holds every decoded input, a leak.
   * Returns {images, live heap bytes} per sample.
   */
  private List<long[]> score(String name, int n, int every, boolean keep) throws IOException {
    JavaSparkContext sc = SparkTestContext.get();
    ModelSpec spec = Zoo.spec("lenet5", 10, new int[] {3, 96, 96}, null);
    Model m = Zoo.build(spec).init(5);
    ScoringModels models = new ScoringModels(List.of(new ScoringModels.Member(spec, m.params(), m.state(),
        new Normalization(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}))));
    Path input = images(name, n);
    AtomicLong count = new AtomicLong();
    List<long[]> samples = new ArrayList<>();
    List<float[]> kept = new ArrayList<>();
    Scorer.decodedProbe = planes -> {
      assertEquals(PLANES_BYTES / 4, planes.length);
      synchronized (samples) {
        if (keep) {
          kept.add(planes);
        }
        long done = count.incrementAndGet();
        if (done % every == 0) {
          long live = liveHeap();
          if (live >= 0) {
            samples.add(new long[] {done, live});
          }
        }
      }
    };
    try {
      ScoreJob.Result r = ScoreJob.run(sc, input.toString(), "image", null, new Scorer(models, 5, 1, 16,
          ImageDecoding.DEFAULT_MAX_PIXELS), null, dir.resolve(name + "-out").toString(), "parquet", 3);
      assertEquals(n, r.rows());
      assertEquals(0, r.errors());
    } finally {
      Scorer.decodedProbe = null;
      models.close();
    }
    assertEquals(n, count.get());
    return samples;
  }

  /** Least-squares slope of live heap against images scored, in bytes per image. */
  private static double slope(List<long[]> samples) {
    double mx = samples.stream().mapToDouble(s -> s[0]).average().orElseThrow();
    double my = samples.stream().mapToDouble(s -> s[1]).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (long[] s : samples) {
      sxy += (s[0] - mx) * (s[1] - my);
      sxx += (s[0] - mx) * (s[0] - mx);
    }
    return sxy / sxx;
  }

  private static String describe(List<long[]> samples) {
    StringBuilder sb = new StringBuilder();
    for (long[] s : samples) {
      sb.append(String.format(Locale.ROOT, " %d:%d MB", s[0], s[1] >> 20));
    }
    return sb.toString();
  }

  @Test
  void retainedHeapDoesNotGrowWithImagesScoredAndTheMeasureSeesALeak() throws IOException {
    // The measure first: a scorer that keeps every input must show its 110,592 bytes per image.
    List<long[]> leak = score("leak", 1000, 125, true);
    assertTrue(leak.size() >= 5, "too few samples after a full collection: " + describe(leak));
    double leakSlope = slope(leak);
    System.out.printf(Locale.ROOT, "leaking scorer: %.0f bytes retained per image (%d samples:%s)%n", leakSlope,
        leak.size(), describe(leak));
    assertTrue(leakSlope > 0.5 * PLANES_BYTES, "the measure missed a leak of " + PLANES_BYTES + " bytes per image: "
        + leakSlope + describe(leak));

    // 10,000 images, sampled every 500 from the second thousand (the first builds the executors' model pools).
    List<long[]> flat = score("flat", 10_000, 500, false);
    List<long[]> steady = flat.stream().filter(s -> s[0] >= 2000).toList();
    assertTrue(steady.size() >= 12, "too few samples after a full collection: " + describe(flat));
    double flatSlope = slope(steady);
    System.out.printf(Locale.ROOT, "scorer: %.0f bytes retained per image (%d samples:%s)%n", flatSlope,
        steady.size(), describe(flat));
    assertTrue(flatSlope < 8192, "the heap grows by " + flatSlope + " bytes per image scored:" + describe(flat));
  }
}
