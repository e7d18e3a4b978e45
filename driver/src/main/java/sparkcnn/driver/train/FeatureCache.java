package sparkcnn.driver.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.BatchMaker;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.kernels.Parallel;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * training.features: precompute. The frozen backbone runs once over the training set (its inference graph:
 * batch norm folded into the convolutions, unless the cut falls between a convolution and its batch norm;
 * evaluation mode, in micro-batches) and its outputs become the training set of the
 * trained layers: one cached block of float features per partition, the labels alongside. With a path
 * (features.path, any Hadoop file system) the blocks are also written there, one file per partition plus a
 * fingerprint of everything they depend on (architecture, cut, backbone weights, normalization, data source),
 * and a later run with the same fingerprint reads them instead of computing them again.
 *
 * <p>A part file: magic "SCNNFEAT", int32 version 1, int32 n, c, h, w, n int32 labels, n*c*h*w float32, int32 m,
 * m uint8 mask values (segmentation: n masks; 0 for none), int32 CRC32 of everything before; little-endian.
 */
public final class FeatureCache {
  private static final byte[] MAGIC = "SCNNFEAT".getBytes(StandardCharsets.US_ASCII);
  static final String FINGERPRINT = "_sparkcnn_features";
  /** Samples per backbone forward when the job's micro-batch is 0 (the shard). */
  private static final int BATCH = 64;

  private FeatureCache() {}

  /**
   * The training set as features of start's frozen backbone (start: the full model, parameters as training will
   * start from them); from path if it holds features of the same fingerprint, else computed (and written to
   * path when given). description names the data in the fingerprint.
   */
  public static JavaRDD<SampleBlock> of(JavaSparkContext sc, JavaRDD<SampleBlock> images, TrainConfig cfg,
      Model start, String path, String description, PrintStream log) throws IOException {
    Model backbone = Zoo.build(cfg.model).freeze(cfg.frozenParams); // its cut and shapes (start need not be frozen)
    String fingerprint = fingerprint(cfg, backbone, start, description, images.count());
    Configuration conf = sc.hadoopConfiguration();
    if (path != null) {
      Path dir = new Path(path);
      FileSystem fs = dir.getFileSystem(conf);
      Path meta = new Path(dir, FINGERPRINT);
      if (fs.exists(meta)) {
        String stored = new String(HadoopFiles.readAll(meta.toString(), conf), StandardCharsets.UTF_8);
        if (stored.equals(fingerprint)) {
          log.println("reading pre-computed features from " + path);
          return read(sc, fs, dir);
        }
        log.println("features in " + path + " were computed for another backbone or data set; computing them again");
      } else if (fs.exists(dir) && fs.listStatus(dir).length > 0) {
        throw new IOException(path + ": features.path exists and is not a SparkCNN feature cache (no " + FINGERPRINT
            + " file in it); give an empty or new folder");
      }
    }
    long t0 = System.nanoTime();
    Broadcast<Snapshot> bc = sc.broadcast(new Snapshot(0, start.params(), start.state(), null));
    ModelSpec spec = cfg.model;
    int frozen = cfg.frozenParams;
    Normalization norm = cfg.normalization;
    int batch = cfg.microBatch > 0 ? cfg.microBatch : BATCH;
    JavaRDD<SampleBlock> features = images.map(b -> {
      TaskContext task = TaskContext.get();
      Parallel.setThreads(Math.max(1, task == null ? 1 : task.cpus()));
      Model m = Zoo.build(spec).freeze(frozen);
      m.load(bc.value().params, bc.value().state);
      return compute(m.backboneFoldable() ? m.foldForInference() : m, b, norm, batch);
    });
    if (path != null) {
      Path dir = new Path(path);
      FileSystem fs = dir.getFileSystem(conf);
      fs.delete(dir, true);
      fs.mkdirs(dir);
      features = features.mapPartitionsWithIndex((i, it) -> {
        List<SampleBlock> out = new ArrayList<>();
        while (it.hasNext()) {
          SampleBlock b = it.next();
          HadoopFiles.write(String.format(Locale.ROOT, "%s/part-%05d.features", path, i), new Configuration(),
              encode(b));
          out.add(b);
        }
        return out.iterator();
      }, true);
    }
    features.persist(StorageLevel.MEMORY_ONLY());
    long n = features.map(SampleBlock::size).reduce(Integer::sum);
    // The broadcast stays: the cached blocks' lineage needs it if Spark ever recomputes a lost block.
    bc.unpersist(false);
    if (path != null) {
      // Written last: a cache without it (a run killed while writing) is computed again.
      HadoopFiles.write(new Path(path, FINGERPRINT).toString(), conf, fingerprint.getBytes(StandardCharsets.UTF_8));
    }
    log.printf(Locale.ROOT, "pre-computed features %s of %d samples in %.1f s%s%n",
        sparkcnn.kernels.Shape.show(backbone.featureShape()), n, (System.nanoTime() - t0) / 1e9,
        path == null ? "" : " (saved to " + path + ")");
    return features;
  }

  /** The features of one block's samples through a model's frozen backbone (folded where it can be). */
  static SampleBlock compute(Model folded, SampleBlock images, Normalization norm, int batchSize) {
    int[] f = folded.featureShape();
    // Blocks are (C, H, W) per sample: a feature vector (C) is kept as (C, 1, 1), the model views it back.
    int[] shape = f.length == 3 ? f : new int[] {f[0], 1, 1};
    int per = shape[0] * shape[1] * shape[2];
    float[] out = new float[images.size() * per];
    BatchMaker batches = new BatchMaker();
    for (int from = 0; from < images.size(); from += batchSize) {
      int n = Math.min(batchSize, images.size() - from);
      Tensor x = batches.make(images, null, from, n, List.of(), norm, 0, 0, 0);
      Tensor y = folded.features(x);
      System.arraycopy(y.data, y.offset, out, from * per, n * per);
    }
    SampleBlock b = SampleBlock.ofFeatures(shape, out, images.labels.clone());
    b.masks = images.masks; // segmentation: the masks stay the images' (the trained layers predict them)
    return b;
  }

  /** Everything the features depend on, as text; a cache is reused only if it matches exactly. */
  static String fingerprint(TrainConfig cfg, Model backbone, Model start, String description, long samples) {
    CRC32 crc = new CRC32();
    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < backbone.frozenParams(); i++) {
      crc.update(b.putFloat(0, start.params()[i]).array());
    }
    for (int i = 0; i < backbone.frozenState(); i++) {
      crc.update(b.putFloat(0, start.state()[i]).array());
    }
    StringBuilder s = new StringBuilder();
    cfg.model.toMap().forEach((k, v) -> s.append(k).append('=').append(v).append('\n'));
    s.append("frozen_params=").append(cfg.frozenParams).append('\n');
    s.append("backbone_crc=").append(Long.toHexString(crc.getValue())).append('\n');
    if (cfg.normalization != null) {
      java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
      cfg.normalization.putInto(m);
      m.forEach((k, v) -> s.append(k).append('=').append(v).append('\n'));
    }
    s.append("data=").append(description).append('\n');
    s.append("samples=").append(samples).append('\n');
    return s.toString();
  }

  private static JavaRDD<SampleBlock> read(JavaSparkContext sc, FileSystem fs, Path dir) throws IOException {
    List<String> parts = new ArrayList<>();
    for (FileStatus st : fs.listStatus(dir)) {
      if (st.getPath().getName().endsWith(".features")) {
        parts.add(st.getPath().toString());
      }
    }
    parts.sort(null);
    if (parts.isEmpty()) {
      throw new IOException(dir + ": a feature cache without part files");
    }
    JavaRDD<SampleBlock> rdd = sc.parallelize(parts, parts.size())
        .map(p -> decode(HadoopFiles.readAll(p, new Configuration()), p));
    rdd.persist(StorageLevel.MEMORY_ONLY());
    rdd.count();
    return rdd;
  }

  static byte[] encode(SampleBlock b) {
    int n = b.size();
    int m = b.masks == null ? 0 : b.masks.length;
    ByteBuffer buf = ByteBuffer.allocate(MAGIC.length + 20 + 4 * n + 4 * b.features.length + 4 + m + 4)
        .order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).putInt(1).putInt(n).putInt(b.channels).putInt(b.height).putInt(b.width);
    for (int y : b.labels) {
      buf.putInt(y);
    }
    for (float v : b.features) {
      buf.putFloat(v);
    }
    buf.putInt(m);
    if (m > 0) {
      buf.put(b.masks);
    }
    CRC32 crc = new CRC32();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue());
    return buf.array();
  }

  static SampleBlock decode(byte[] bytes, String source) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      byte[] magic = new byte[MAGIC.length];
      buf.get(magic);
      if (!Arrays.equals(magic, MAGIC) || buf.getInt() != 1) {
        throw new IOException(source + ": not a SparkCNN feature file (version 1)");
      }
      int n = buf.getInt();
      int[] shape = {buf.getInt(), buf.getInt(), buf.getInt()};
      long floats = (long) n * shape[0] * shape[1] * shape[2];
      if (n < 0 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0 || 4 * (n + floats) + 8 > buf.remaining()) {
        throw new IOException(source + ": damaged feature file (sizes do not match its length)");
      }
      int[] labels = new int[n];
      buf.asIntBuffer().get(labels);
      buf.position(buf.position() + 4 * n);
      float[] features = new float[(int) floats];
      buf.asFloatBuffer().get(features);
      buf.position(buf.position() + 4 * (int) floats);
      int m = buf.getInt();
      if (m < 0 || m + 4 != buf.remaining()) {
        throw new IOException(source + ": damaged feature file (sizes do not match its length)");
      }
      byte[] masks = null;
      if (m > 0) {
        masks = new byte[m];
        buf.get(masks);
      }
      CRC32 crc = new CRC32();
      crc.update(bytes, 0, buf.position());
      if (buf.getInt() != (int) crc.getValue()) {
        throw new IOException(source + ": damaged feature file (CRC mismatch)");
      }
      SampleBlock b = SampleBlock.ofFeatures(shape, features, labels);
      b.masks = masks;
      return b;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IOException(source + ": truncated feature file", e);
    }
  }
}
