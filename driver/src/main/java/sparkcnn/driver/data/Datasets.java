package sparkcnn.driver.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

/**
 * Sources of training and test samples, each as an RDD of one cached {@link SampleBlock} per partition, the
 * samples spread evenly. Missing paths and empty datasets fail at once with a message naming the path.
 */
public final class Datasets {
  private Datasets() {}

  /** An IDX image file and its IDX label file (MNIST layout; plain or gzip; any Hadoop path). */
  public static JavaRDD<SampleBlock> idx(JavaSparkContext sc, String images, String labels, int partitions)
      throws IOException {
    Configuration conf = sc.hadoopConfiguration();
    int[] dims = IdxFiles.checkedDims(images, conf);
    int[] ldims = IdxFiles.checkedDims(labels, conf);
    if (dims.length != 3 || ldims.length != 1) {
      throw new IllegalArgumentException(images + ": expected an IDX image file (n, rows, cols) and " + labels
          + " an IDX label file (n); got " + Arrays.toString(dims) + " and " + Arrays.toString(ldims));
    }
    if (dims[0] != ldims[0]) {
      // What the files say, before any step: a pairing of images and labels that cannot be right.
      int first = Math.min(dims[0], ldims[0]);
      throw new IllegalArgumentException(labels + " holds " + ldims[0] + " labels but " + images + " holds "
          + dims[0] + " images: record " + first + " has no " + (ldims[0] < dims[0] ? "label" : "image"));
    }
    int n = dims[0];
    int h = dims[1];
    int w = dims[2];
    List<int[]> ranges = ranges(n, partitions);
    JavaRDD<SampleBlock> rdd = sc.parallelize(ranges, ranges.size()).map(r -> {
      Configuration c = new Configuration();
      byte[] px = IdxFiles.read(images, c, r[0], r[1]);
      byte[] lb = IdxFiles.read(labels, c, r[0], r[1]);
      int[] y = new int[lb.length];
      for (int i = 0; i < y.length; i++) {
        y[i] = lb[i] & 0xff;
      }
      return new SampleBlock(1, h, w, px, y, null);
    });
    return cache(rdd, images);
  }

  /**
   * A generated, learnable image task (for benchmarks and tests): each class is a fixed random pattern of
   * blobs, drawn with random shifts and noise. Deterministic in seed.
   */
  public static JavaRDD<SampleBlock> generated(JavaSparkContext sc, int n, int c, int h, int w, int classes,
      int partitions, long seed) {
    List<int[]> ranges = ranges(n, partitions);
    JavaRDD<SampleBlock> rdd = sc.parallelize(ranges, ranges.size()).map(r -> generate(r[0], r[1], c, h, w, classes,
        seed));
    return cache(rdd, "generated data");
  }

  /** Samples [from, to) of the generated task (the same samples whatever the partitioning). */
  public static SampleBlock generate(int from, int to, int c, int h, int w, int classes, long seed) {
    int per = c * h * w;
    byte[] px = new byte[(to - from) * per];
    int[] y = new int[to - from];
    float[][] patterns = new float[classes][per];
    SplittableRandom pr = new SplittableRandom(seed);
    for (int k = 0; k < classes; k++) {
      for (int b = 0; b < 4; b++) {
        int cy = pr.nextInt(h);
        int cx = pr.nextInt(w);
        int ch = pr.nextInt(c);
        double r = 1 + pr.nextDouble() * Math.max(1, h / 6.0);
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            double d = ((i - cy) * (i - cy) + (j - cx) * (j - cx)) / (r * r);
            patterns[k][(ch * h + i) * w + j] += (float) Math.exp(-d);
          }
        }
      }
    }
    for (int s = from; s < to; s++) {
      SplittableRandom rnd = new SplittableRandom(seed * 31 + s);
      int label = rnd.nextInt(classes);
      y[s - from] = label;
      int dy = rnd.nextInt(5) - 2;
      int dx = rnd.nextInt(5) - 2;
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            int si = Math.floorMod(i + dy, h);
            int sj = Math.floorMod(j + dx, w);
            double v = 0.7 * patterns[label][(ch * h + si) * w + sj] + 0.3 * rnd.nextDouble();
            px[(s - from) * per + (ch * h + i) * w + j] = (byte) Math.min(255, Math.round(v * 255));
          }
        }
      }
    }
    return new SampleBlock(c, h, w, px, y, null);
  }

  /**
   * A generated, learnable segmentation task (for tests and trials): on a noisy dark background (class 0), 1 to 3
   * shapes of random classes 1..classes-1 at random places and sizes; a class has its own brightness per channel
   * and shape (odd classes disks, even ones squares). The mask is the class of each pixel, later shapes on top.
   */
  public static JavaRDD<SampleBlock> generatedSegmentation(JavaSparkContext sc, int n, int c, int h, int w,
      int classes, int partitions, long seed) {
    if (classes < 2) {
      throw new IllegalArgumentException("generated segmentation data needs at least 2 classes (background and "
          + "one shape), got " + classes);
    }
    List<int[]> ranges = ranges(n, partitions);
    JavaRDD<SampleBlock> rdd = sc.parallelize(ranges, ranges.size()).map(r -> generateSegmentation(r[0], r[1], c,
        h, w, classes, seed));
    return cache(rdd, "generated segmentation data");
  }

  /** Samples [from, to) of the generated segmentation task (the same whatever the partitioning). */
  public static SampleBlock generateSegmentation(int from, int to, int c, int h, int w, int classes, long seed) {
    int per = c * h * w;
    int plane = h * w;
    byte[] px = new byte[(to - from) * per];
    byte[] masks = new byte[(to - from) * plane];
    double[][] colour = new double[classes][c];
    SplittableRandom pr = new SplittableRandom(seed);
    for (int k = 1; k < classes; k++) {
      for (int ch = 0; ch < c; ch++) {
        // Bright enough to stand out of the background's [0, 0.35]; classes spread over [0.45, 1].
        colour[k][ch] = c == 1 ? 0.45 + 0.55 * (k - 1) / Math.max(1, classes - 2) : 0.45 + 0.55 * pr.nextDouble();
      }
    }
    for (int s = from; s < to; s++) {
      SplittableRandom rnd = new SplittableRandom(seed * 31 + s);
      int o = (s - from) * per;
      for (int i = 0; i < per; i++) {
        px[o + i] = (byte) Math.round(rnd.nextDouble() * 0.35 * 255);
      }
      int shapes = 1 + rnd.nextInt(3);
      for (int k = 0; k < shapes; k++) {
        int cls = 1 + rnd.nextInt(classes - 1);
        double r = Math.max(2, Math.min(h, w) * (0.12 + rnd.nextDouble() * 0.15));
        double cy = rnd.nextDouble() * h;
        double cx = rnd.nextDouble() * w;
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            boolean in = cls % 2 == 1 ? (i - cy) * (i - cy) + (j - cx) * (j - cx) <= r * r
                : Math.abs(i - cy) <= r * 0.9 && Math.abs(j - cx) <= r * 0.9;
            if (in) {
              masks[(s - from) * plane + i * w + j] = (byte) cls;
              for (int ch = 0; ch < c; ch++) {
                double v = colour[cls][ch] + (rnd.nextDouble() - 0.5) * 0.1;
                px[o + ch * plane + i * w + j] = (byte) Math.round(Math.min(1, Math.max(0, v)) * 255);
              }
            }
          }
        }
      }
    }
    return new SampleBlock(c, h, w, px, masks, null);
  }

  /** n samples split into parts contiguous ranges of nearly equal size. */
  static List<int[]> ranges(int n, int parts) {
    if (n <= 0) {
      throw new IllegalArgumentException("the dataset is empty");
    }
    int p = Math.max(1, Math.min(parts, n));
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      out.add(new int[] {(int) ((long) n * i / p), (int) ((long) n * (i + 1) / p)});
    }
    return out;
  }

  /** Caches and materializes blocks, failing with the source's name if it is empty. */
  public static JavaRDD<SampleBlock> cache(JavaRDD<SampleBlock> rdd, String source) {
    rdd.persist(StorageLevel.MEMORY_ONLY());
    long samples;
    try {
      samples = rdd.map(SampleBlock::size).reduce(Integer::sum);
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof IOException)) {
        cause = cause.getCause();
      }
      throw cause instanceof IOException io ? new UncheckedIOException(io) : e;
    }
    if (samples == 0) {
      throw new IllegalArgumentException(source + ": no samples");
    }
    return rdd;
  }
}
