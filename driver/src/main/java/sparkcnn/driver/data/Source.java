package sparkcnn.driver.data;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import sparkcnn.driver.HadoopFiles;
import scala.Tuple2;

/**
 * Where samples come from, as written in a job file: IDX files, an image folder tree (one subfolder per class),
 * a table (Parquet with an encoded-image column and a label column), Spark's own "image" or "binaryFile" source over
 * a folder tree (the class is the file's folder, as for "folder"), or generated data. For segmentation ({@link #segmentation}, set from the model's
 * per-pixel output) samples carry masks: a "segfolder" (images/ and masks/ with matching names), a Parquet table
 * with a mask column (encoded PNG class indices), or generated shapes. load() decodes on the executors into
 * cached blocks of the model's input shape; unreadable images are skipped and reported by path.
 */
public final class Source implements Serializable {
  public static final List<String> FORMATS = List.of("idx", "folder", "parquet", "image", "binaryFile", "generated",
      "segfolder");
  /** The formats that can carry masks. */
  public static final List<String> MASK_FORMATS = List.of("segfolder", "parquet", "generated");

  public String format = "idx";
  /** folder / table path, or the IDX image file. */
  public String path;
  /** IDX label file. */
  public String labels;
  public String imageColumn = "image";
  public String labelColumn = "label";
  /** Encoded-mask column (format parquet, segmentation). */
  public String maskColumn = "mask";
  /** Samples carry masks (the model predicts a class per pixel) instead of labels. */
  public boolean segmentation;
  /** A mask value that means "no label here" (training.ignore_index); negative: none. */
  public int ignoreIndex = -1;
  /** generated: sample count and seed. */
  public int samples = 1000;
  public long seed = 1;
  /** Largest share of unreadable images tolerated before the job stops. */
  public double maxBadFraction = 0.01;
  /** Largest width x height decoded; a larger image is unreadable (refused from its header). */
  public long maxPixels = ImageDecoding.DEFAULT_MAX_PIXELS;
  /** Keep only these labels, renumbered 0, 1, ... in this order; empty: all. */
  public int[] selectClasses = new int[0];
  /** Keep this share of the samples (chosen per sample from its pixels and the seed); 1: all. */
  public double fraction = 1;
  /** Hold out this share of the samples, stratified by class, as a validation set (0: none). */
  public double validationFraction;
  /** Which samples are held out (see {@link ValidationSplit}). */
  public long validationSeed = 1;

  /** The source as its job file says it, for messages and fingerprints. */
  public String describe() {
    return format + " " + (path == null ? "" : path) + (labels == null ? "" : " labels " + labels)
        + (format.equals("generated") ? " samples " + samples + " seed " + seed : "")
        + (selectClasses.length == 0 ? "" : " classes " + Arrays.toString(selectClasses))
        + (fraction < 1 ? " fraction " + fraction + " seed " + seed : "")
        + (validationFraction > 0 ? " validation " + validationFraction + " seed " + validationSeed : "");
  }

  /**
   * What loading found: the cached blocks, class names (folders), unreadable paths, and the held-out validation
   * blocks (null without validationFraction).
   */
  public record Loaded(JavaRDD<SampleBlock> blocks, List<String> classes, List<String> bad, long samples,
      JavaRDD<SampleBlock> validation, long validationSamples) {}

  /**
   * The samples at the model's input size: decoded, subset, checked, split into training and validation; IDX
   * images are resized last, so the subset and the split are the same at every resolution.
   */
  public Loaded load(JavaSparkContext sc, int c, int h, int w, int classes, int partitions) throws IOException {
    Loaded l = loadChecked(sc, c, h, w, classes, partitions);
    JavaRDD<SampleBlock> train = l.blocks();
    JavaRDD<SampleBlock> validation = null;
    long n = l.samples();
    long held = 0;
    if (validationFraction > 0) {
      ValidationSplit.Split split = ValidationSplit.of(train, validationFraction, validationSeed, describe());
      train.unpersist(false);
      train = split.train();
      validation = split.validation();
      n = split.trainSamples();
      held = split.validationSamples();
    }
    if (!BlockResize.fits(train.first(), c, h, w)) {
      train = resized(train, c, h, w);
      validation = validation == null ? null : resized(validation, c, h, w);
    }
    return new Loaded(train, l.classes(), l.bad(), n, validation, held);
  }

  private JavaRDD<SampleBlock> resized(JavaRDD<SampleBlock> nativeSize, int c, int h, int w) {
    JavaRDD<SampleBlock> out = Datasets.cache(nativeSize.map(b -> BlockResize.fit(b, c, h, w)), describe());
    nativeSize.unpersist(false);
    return out;
  }

  private Loaded loadChecked(JavaSparkContext sc, int c, int h, int w, int classes, int partitions)
      throws IOException {
    CollectionAccumulator<String> bad = sc.sc().collectionAccumulator("unreadable images");
    JavaRDD<SampleBlock> rdd;
    List<String> names = null;
    if (segmentation && !MASK_FORMATS.contains(format)) {
      throw new IllegalArgumentException((path == null ? format : path) + ": format " + format + " has no masks, "
          + "but the model predicts a class per pixel (segmentation); expected one of " + MASK_FORMATS);
    }
    if (!segmentation && format.equals("segfolder")) {
      throw new IllegalArgumentException(path + ": format segfolder holds masks, but the model predicts one class "
          + "per image; use a segmentation model (its output is (N, K, H, W)) or a classification format");
    }
    long maxPx = maxPixels;
    switch (format) {
      case "idx" -> {
        rdd = Datasets.idx(sc, path, labels, partitions); // at its own size: load() resizes at the end
      }
      case "generated" -> rdd = segmentation
          ? Datasets.generatedSegmentation(sc, samples, c, h, w, classes, partitions, seed)
          : Datasets.generated(sc, samples, c, h, w, classes, partitions, seed);
      case "segfolder" -> {
        List<Tuple2<String, String>> pairs = SegFolder.list(path, sc.hadoopConfiguration());
        rdd = Datasets.cache(sc.parallelize(pairs, Math.max(1, Math.min(partitions, pairs.size())))
            .mapPartitions(it -> List.of(SegFolder.decode(it, c, h, w, maxPx, bad)).iterator()), path);
      }
      case "folder" -> {
        List<Tuple2<String, Integer>> files = new ArrayList<>();
        names = listFolder(path, sc.hadoopConfiguration(), files);
        List<Tuple2<String, Integer>> list = files;
        rdd = Datasets.cache(sc.parallelize(list, Math.max(1, Math.min(partitions, list.size())))
            .mapPartitions(it -> List.of(decodeFiles(it, c, h, w, maxPx, bad)).iterator()), path);
      }
      case "image", "binaryFile" -> {
        names = listFolder(path, sc.hadoopConfiguration(), new ArrayList<>());
        rdd = Datasets.cache(SparkFileSources.read(sc, format, path, names, c, h, w, maxPx, partitions, bad), path);
      }
      case "parquet" -> rdd = Datasets.cache(segmentation ? maskTable(sc, c, h, w, partitions, bad)
          : table(sc, c, h, w, partitions, bad), path);
      default -> throw new IllegalArgumentException("data format '" + format + "': expected one of " + FORMATS);
    }
    // Unreadable files are a share of everything decoded, before any subset.
    long decoded = -1;
    if (selectClasses.length > 0 || fraction < 1) {
      JavaRDD<SampleBlock> all = rdd;
      decoded = all.map(SampleBlock::size).reduce(Integer::sum);
      names = names == null || selectClasses.length == 0 ? names : selected(names, selectClasses);
      int[] keep = selectClasses;
      double share = fraction;
      long pick = seed;
      rdd = Datasets.cache(all.map(b -> Subset.of(b, keep, share, pick)), describe());
      all.unpersist(false);
    }
    if (segmentation) {
      return checkMasks(rdd, classes, bad.value(), decoded);
    }
    // One pass counts the samples and finds the first label the model cannot have, before any training.
    List<String[]> scans = rdd.map(b -> {
      for (int i = 0; i < b.labels.length; i++) {
        if (b.labels[i] < 0 || b.labels[i] >= classes) {
          return new String[] {Integer.toString(b.size()), Integer.toString(i), Integer.toString(b.labels[i]),
              b.sources == null ? null : b.sources[i]};
        }
      }
      return new String[] {Integer.toString(b.size()), null, null, null};
    }).collect();
    long n = 0;
    for (String[] scan : scans) {
      if (scan[1] != null) {
        long record = n + Long.parseLong(scan[1]);
        String where = scan[3] != null ? scan[3] : (labels != null ? labels : path) + ": record " + record;
        throw new IllegalArgumentException(where + ": label " + scan[2] + " is outside [0, " + classes
            + ") (model.classes is " + classes + (names != null ? "; the tree has " + names.size()
            + " class folders" : "") + ")");
      }
      n += Long.parseLong(scan[0]);
    }
    return checked(rdd, names, bad.value(), n, decoded);
  }

  /** The class folders select_classes keeps, in its order: what the renumbered labels 0, 1, ... are. */
  private List<String> selected(List<String> folders, int[] keep) {
    List<String> out = new ArrayList<>();
    for (int k : keep) {
      if (k >= folders.size()) {
        throw new IllegalArgumentException(path + ": select_classes names label " + k + " but the tree has "
            + folders.size() + " class folders " + folders);
      }
      out.add(folders.get(k));
    }
    return out;
  }

  /**
   * The loaded set once its labels passed: fails if nothing or too much was readable. decoded: samples read
   * before a subset was taken (-1: no subset, n).
   */
  private Loaded checked(JavaRDD<SampleBlock> rdd, List<String> names, List<String> badPaths, long n, long decoded)
      throws IOException {
    long total = (decoded >= 0 ? decoded : n) + badPaths.size();
    if (n == 0) {
      throw new IOException(path + ": no readable samples (" + badPaths.size() + " unreadable)");
    }
    if (badPaths.size() > maxBadFraction * total) {
      throw new IOException(path + ": " + badPaths.size() + " of " + total + " images are unreadable, more than the "
          + "allowed fraction " + maxBadFraction + " (first: " + badPaths.get(0) + ")");
    }
    return new Loaded(rdd, names, badPaths, n, null, 0);
  }

  /**
   * One pass over the masks: counts the samples and finds the first pixel whose class the model cannot have
   * (outside [0, classes) and not the ignore index), naming its file and position, before any training.
   */
  private Loaded checkMasks(JavaRDD<SampleBlock> rdd, int classes, List<String> badPaths, long decoded)
      throws IOException {
    int ignore = ignoreIndex;
    List<String[]> scans = rdd.map(b -> {
      int plane = b.height * b.width;
      for (int p = 0; p < b.masks.length; p++) {
        int v = b.masks[p] & 0xff;
        if (v >= classes && v != ignore) {
          int sample = p / plane;
          return new String[] {Integer.toString(b.size()), Integer.toString(sample),
              Integer.toString(p % plane / b.width), Integer.toString(p % b.width), Integer.toString(v),
              b.sources == null ? null : b.sources[sample], b.height + "x" + b.width};
        }
      }
      return new String[] {Integer.toString(b.size()), null};
    }).collect();
    long n = 0;
    for (String[] scan : scans) {
      if (scan[1] != null) {
        String where = scan[5] != null ? scan[5] : (path == null ? "generated data" : path) + ": sample "
            + (n + Long.parseLong(scan[1]));
        throw new IllegalArgumentException(where + ": mask pixel (row " + scan[2] + ", column " + scan[3]
            + " of the mask fitted to " + scan[6] + ") is " + scan[4] + ", outside [0, " + classes
            + ") (model.classes is " + classes + "; training.ignore_index is "
            + (ignoreIndex >= 0 ? Integer.toString(ignoreIndex) : "not set") + ")");
      }
      n += Long.parseLong(scan[0]);
    }
    return checked(rdd, null, badPaths, n, decoded);
  }

  /** Files of a class-per-subfolder tree with their labels (subfolders sorted by name); the class names. */
  static List<String> listFolder(String dir, Configuration conf, List<Tuple2<String, Integer>> out)
      throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(conf);
    if (!fs.exists(root)) {
      throw new IOException(dir + ": no such folder");
    }
    FileStatus[] subs = fs.listStatus(root);
    Arrays.sort(subs, Comparator.comparing(s -> s.getPath().getName()));
    List<String> classes = new ArrayList<>();
    for (FileStatus sub : subs) {
      if (!sub.isDirectory()) {
        continue;
      }
      int label = classes.size();
      classes.add(sub.getPath().getName());
      List<FileStatus> files = new ArrayList<>(Arrays.asList(fs.listStatus(sub.getPath())));
      files.sort(Comparator.comparing(s -> s.getPath().getName()));
      for (FileStatus f : files) {
        String name = f.getPath().getName().toLowerCase(Locale.ROOT);
        if (f.isFile() && ImageDecoding.isImageFile(name)) {
          out.add(new Tuple2<>(f.getPath().toString(), label));
        }
      }
    }
    if (classes.isEmpty() || out.isEmpty()) {
      throw new IOException(dir + ": expected one subfolder per class holding .jpg/.jpeg/.png/.bmp/.gif images, found "
          + classes.size() + " subfolders and " + out.size() + " images");
    }
    return classes;
  }

  private static SampleBlock decodeFiles(java.util.Iterator<Tuple2<String, Integer>> it, int c, int h, int w,
      long maxPixels, CollectionAccumulator<String> bad) {
    Configuration conf = new Configuration();
    BlockBuilder block = new BlockBuilder(c, h, w);
    while (it.hasNext()) {
      Tuple2<String, Integer> f = it.next();
      try {
        block.add(ImageDecoding.decode(HadoopFiles.readAll(f._1(), conf), c, h, w, maxPixels), f._2(), f._1());
      } catch (IOException e) {
        bad.add(f._1() + ": " + e.getMessage());
      }
    }
    return block.build();
  }

  private JavaRDD<SampleBlock> table(JavaSparkContext sc, int c, int h, int w, int partitions,
      CollectionAccumulator<String> bad) throws IOException {
    Path p = new Path(path);
    if (!p.getFileSystem(sc.hadoopConfiguration()).exists(p)) {
      throw new IOException(path + ": no such table or folder");
    }
    Dataset<Row> df = SparkSession.builder().sparkContext(sc.sc()).getOrCreate().read().parquet(path);
    String imageCol = imageColumn;
    String labelCol = labelColumn;
    for (String col : List.of(imageCol, labelCol)) {
      if (!Arrays.asList(df.columns()).contains(col)) {
        throw new IOException(path + ": no column '" + col + "' (columns: " + String.join(", ", df.columns()) + ")");
      }
    }
    String table = path;
    long maxPx = maxPixels;
    // Rows are numbered in the table's order before the shuffle, so an error names a row the user can find.
    return df.javaRDD().zipWithIndex().repartition(Math.max(1, partitions)).mapPartitions(it -> {
      BlockBuilder block = new BlockBuilder(c, h, w);
      while (it.hasNext()) {
        Tuple2<Row, Long> numbered = it.next();
        Row r = numbered._1();
        String origin = table + ": row " + numbered._2();
        try {
          byte[] planes = ImageDecoding.decode((byte[]) r.getAs(imageCol), c, h, w, maxPx);
          Object y = r.getAs(labelCol);
          if (!(y instanceof Number)) {
            throw new IllegalArgumentException("label column '" + labelCol + "' holds " + y + ", not a number");
          }
          block.add(planes, ((Number) y).intValue(), origin);
        } catch (IOException | RuntimeException e) {
          bad.add(origin + ": " + e.getMessage());
        }
      }
      return List.of(block.build()).iterator();
    });
  }

  /**
   * A Parquet table of encoded images and encoded masks (segmentation). A row is named by its "name" column
   * when the table has one, so errors can point at it.
   */
  private JavaRDD<SampleBlock> maskTable(JavaSparkContext sc, int c, int h, int w, int partitions,
      CollectionAccumulator<String> bad) throws IOException {
    Path p = new Path(path);
    if (!p.getFileSystem(sc.hadoopConfiguration()).exists(p)) {
      throw new IOException(path + ": no such table or folder");
    }
    Dataset<Row> df = SparkSession.builder().sparkContext(sc.sc()).getOrCreate().read().parquet(path);
    List<String> columns = Arrays.asList(df.columns());
    for (String col : List.of(imageColumn, maskColumn)) {
      if (!columns.contains(col)) {
        throw new IOException(path + ": no column '" + col + "' (columns: " + String.join(", ", columns)
            + "; a segmentation table needs an image column and a mask column: image_column, mask_column)");
      }
    }
    String imageCol = imageColumn;
    String maskCol = maskColumn;
    String table = path;
    long maxPx = maxPixels;
    boolean named = columns.contains("name");
    return df.javaRDD().repartition(Math.max(1, partitions)).mapPartitions(it -> {
      BlockBuilder block = new BlockBuilder(c, h, w, true);
      while (it.hasNext()) {
        Row r = it.next();
        String origin = table + ": row " + (named ? "'" + r.getAs("name") + "'" : "(no name column)");
        try {
          byte[] planes = ImageDecoding.decode((byte[]) r.getAs(imageCol), c, h, w, maxPx);
          byte[] mask = MaskDecoding.decode((byte[]) r.getAs(maskCol), h, w);
          block.add(planes, mask, origin);
        } catch (IOException | RuntimeException e) {
          bad.add(origin + ": " + e.getMessage());
        }
      }
      return List.of(block.build()).iterator();
    });
  }
}
