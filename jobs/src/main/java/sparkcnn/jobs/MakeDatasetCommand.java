package sparkcnn.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sparkcnn.driver.data.FashionSeg;
import sparkcnn.driver.data.GreyPng;
import sparkcnn.driver.data.IdxFiles;

/** {@code make-dataset fashion-seg OUT}: writes the composed Fashion-MNIST segmentation set. */
final class MakeDatasetCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn make-dataset fashion-seg OUT [--samples N] [--test-samples N] [--size S] [--seed S]
                                       [--fashion-mnist DIR]

      Composes a semantic-segmentation dataset from Fashion-MNIST: 2 to 4 garments per SxS grey canvas at random
      positions, scales (0.8 to 1.6) and overlaps, on textured backgrounds (noise, stripes, gradients). Each
      canvas has a mask of 11 classes: 0 background, 1 + the Fashion-MNIST class where a garment shows (later
      garments occlude earlier ones). The same seed gives the same dataset. Training canvases use the training
      garments, test canvases the t10k garments. Writes
        OUT/train/images/NAME.png, OUT/train/masks/NAME.png   (masks: 8-bit grey, grey level = class index)
        OUT/test/images/NAME.png,  OUT/test/masks/NAME.png
        OUT/train.parquet, OUT/test.parquet                   (columns image, mask: PNG bytes; name)
        OUT/classes.txt                                       (one class name per line, index order)
      OUT/train and OUT/test are segfolder sources; the Parquet tables are parquet sources with mask_column mask.

      options:
        --samples N          training canvases (default 10000)
        --test-samples N     test canvases (default 2000)
        --size S             canvas side in pixels (default 64; at least 45, a garment scaled by 1.6)
        --seed S             (default 1)
        --fashion-mnist DIR  the IDX files (default /usr/share/datasets/fashion-mnist; bin/install-datasets)
      """;

  @Override
  public String summary() {
    return "write a generated dataset (fashion-seg: Fashion-MNIST garments composed for segmentation)";
  }

  @Override
  public int run(Args args, PrintStream out) throws Exception {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP);
      return 0;
    }
    int samples = args.positiveInt("--samples", 10000);
    int testSamples = args.positiveInt("--test-samples", 2000);
    int size = args.positiveInt("--size", 64);
    String seedArg = args.option("--seed");
    String source = args.option("--fashion-mnist");
    String kind = args.positional();
    String dir = args.positional();
    args.done("fashion-seg OUT, --samples, --test-samples, --size, --seed, --fashion-mnist, --help");
    if (kind == null || dir == null) {
      throw new UsageException("sparkcnn make-dataset: expected a dataset name and an output folder, e.g. "
          + "make-dataset fashion-seg data/fashion-seg");
    }
    if (!kind.equals("fashion-seg")) {
      throw new UsageException("sparkcnn make-dataset: unknown dataset '" + kind + "' (known: fashion-seg)");
    }
    long seed = seedArg == null ? 1 : parseSeed(seedArg);
    if (size < 45) {
      throw new UsageException("sparkcnn make-dataset: --size: at least 45 (a 28-pixel garment scaled by 1.6), got "
          + size);
    }
    String idx = source == null ? "/usr/share/datasets/fashion-mnist" : source;
    Path root = Path.of(dir);
    if (Files.exists(root) && Files.list(root).findAny().isPresent()) {
      throw new IOException(dir + ": exists and is not empty; choose another folder (nothing was overwritten)");
    }
    FashionSeg trainSet = garments(idx, "train", size);
    FashionSeg testSet = garments(idx, "t10k", size);
    List<Row> trainRows = write(trainSet, root.resolve("train"), samples, seed, "train", out);
    // The test canvases draw from their own stream, so --samples does not change them.
    List<Row> testRows = write(testSet, root.resolve("test"), testSamples, seed + 1_000_003L, "test", out);
    Files.writeString(root.resolve("classes.txt"), String.join("\n", FashionSeg.CLASSES) + "\n",
        StandardCharsets.UTF_8);
    out.println("writing Parquet tables ...");
    JavaSparkContext sc = Spark.start("sparkcnn make-dataset", "local[2]", Map.of());
    try {
      SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
      StructType schema = new StructType().add("image", DataTypes.BinaryType).add("mask", DataTypes.BinaryType)
          .add("name", DataTypes.StringType);
      spark.createDataFrame(trainRows, schema).coalesce(1).write().parquet(root.resolve("train.parquet").toString());
      spark.createDataFrame(testRows, schema).coalesce(1).write().parquet(root.resolve("test.parquet").toString());
    } finally {
      sc.stop();
    }
    out.printf(Locale.ROOT, "fashion-seg: %d training and %d test canvases of %dx%d, %d classes, in %s%n", samples,
        testSamples, size, size, FashionSeg.CLASSES.size(), root);
    return 0;
  }

  private static long parseSeed(String s) {
    try {
      long v = Long.parseLong(s);
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException("sparkcnn make-dataset: --seed: expected a non-negative integer, got '" + s + "'");
  }

  /** The garments of one Fashion-MNIST split (train or t10k). */
  private static FashionSeg garments(String dir, String split, int size) throws IOException {
    String images = dir + "/" + split + "-images-idx3-ubyte.gz";
    String labels = dir + "/" + split + "-labels-idx1-ubyte.gz";
    if (!Files.exists(Path.of(images)) || !Files.exists(Path.of(labels))) {
      throw new IOException(images + ": no such file (bin/install-datasets installs Fashion-MNIST; or give "
          + "--fashion-mnist DIR)");
    }
    Configuration conf = new Configuration();
    int[] dims = IdxFiles.dims(images, conf);
    byte[] px = IdxFiles.read(images, conf, 0, dims[0]);
    byte[] lb = IdxFiles.read(labels, conf, 0, dims[0]);
    int[] y = new int[lb.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = lb[i] & 0xff;
    }
    return new FashionSeg(px, y, dims[1], dims[2], size);
  }

  /** Composes n canvases into folder/images and folder/masks; returns their Parquet rows. */
  private static List<Row> write(FashionSeg set, Path folder, int n, long seed, String what, PrintStream out)
      throws IOException {
    Files.createDirectories(folder.resolve("images"));
    Files.createDirectories(folder.resolve("masks"));
    List<Row> rows = new ArrayList<>(n);
    int s = set.size();
    long t0 = System.nanoTime();
    long lastLog = t0;
    for (int i = 0; i < n; i++) {
      FashionSeg.Sample c = set.compose(seed, i);
      String name = String.format(Locale.ROOT, "%s_%06d", what, i);
      byte[] image = GreyPng.encode(c.image(), 0, s, s);
      byte[] mask = GreyPng.encode(c.mask(), 0, s, s);
      Files.write(folder.resolve("images").resolve(name + ".png"), image);
      Files.write(folder.resolve("masks").resolve(name + ".png"), mask);
      rows.add(RowFactory.create(image, mask, name));
      long now = System.nanoTime();
      if (now - lastLog > 5_000_000_000L || i == n - 1) {
        out.printf(Locale.ROOT, "%s: %d/%d canvases (%.0f/s)%n", what, i + 1, n, (i + 1) / ((now - t0) / 1e9));
        lastLog = now;
      }
    }
    return rows;
  }
}
