package sparkcnn.jobs;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.score.MaskScorer;
import sparkcnn.driver.score.ScoreJob;
import sparkcnn.driver.score.Scorer;
import sparkcnn.driver.score.ScoringModels;
import sparkcnn.jobs.config.Field;
import sparkcnn.jobs.config.JobFile;
import sparkcnn.jobs.config.Schema;
import sparkcnn.models.ClassNames;
import sparkcnn.models.Json;
import sparkcnn.models.zoo.Zoo;

/** {@code score}: batch scoring of an image set with one checkpoint or an ensemble. */
final class ScoreCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn score [SCORE.yaml [--set key=value ...]]
                                [--checkpoint PATH ...] [--input PATH] [--output PATH]
                                [--format parquet|csv] [--top-k K] [--crops 1|5|10] [--batch B]
                                [--partitions P] [--image-column C] [--id-column C] [--overlay]
                                [--max-pixels N] [--json]

      Scores every image under --input (a folder tree, any depth, of .jpg/.jpeg/.png/.bmp/.gif files; or a
      Parquet table with an encoded-image column) with the checkpoint's model, batch norm folded, inside the
      executors, partition by partition. Writes one row per image to --output (Parquet, or CSV): path,
      top_class, top_class_name, top_probability, classes (top k), class_names (their names), probabilities,
      error; names are the checkpoint's class names (in CSV, class_names is a JSON array). An unreadable image
      gets a row with its error; it never fails the job. Several --checkpoint options average their
      probabilities (an ensemble; inputs, classes and class names must match). --crops 5 or 10 averages corner and centre crops (and their
      mirrors) of the image resized to 8/7 of the input. --output must not exist (nothing is overwritten).
      An image whose header declares more than --max-pixels pixels (width x height) is refused before decoding
      (an error row). EXIF orientation is applied, CMYK JPEGs are converted, alpha is dropped.
      Defaults: --format parquet, --top-k 5, --crops 1, --batch 64, --partitions = cores,
      --max-pixels 89478485 (Pillow's limit).
      A scoring job file (conf/jobs/score-folders.yaml) gives the same settings as keys: checkpoints (a list),
      input, output, format, top_k, crops, batch, partitions, image_column, id_column, overlay, max_pixels;
      options on the command line win.

      Segmentation checkpoints (the model predicts a class per pixel) write, for every image, its predicted mask
      as an 8-bit grey PNG of class indices at the model's input size (the image fitted as in training) into
      OUTPUT/masks/ (named after the image's path under --input, or the table row's id, with .png), with
      --overlay also the image with the mask blended over it in a fixed palette into OUTPUT/overlays/, and the
      rows into OUTPUT/predictions (Parquet or CSV): path, mask_path, overlay_path, class_pixels (pixels per
      class), mean_confidence (mean winning probability), error. --top-k and --crops do not apply.
      """;

  static Schema schema() {
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("name", Field.string(null, "job name"));
    top.put("checkpoints", Field.list(List.of(), "checkpoint paths (several: an ensemble)", "paths",
        String::valueOf));
    top.put("input", Field.string(null, "folder tree or Parquet table of images"));
    top.put("output", Field.string(null, "where the rows go (must not exist)"));
    top.put("format", Field.choice("parquet", "output format", List.of("parquet", "csv")));
    top.put("top_k", Field.integer(5L, 1, "classes per row"));
    top.put("crops", Field.choice("1", "views averaged per image", List.of("1", "5", "10")));
    top.put("batch", Field.integer(64L, 1, "images per forward"));
    top.put("partitions", Field.integer(0L, 0, "minimum partitions (0: the cores)"));
    top.put("image_column", Field.string("image", "encoded-image column of a table"));
    top.put("id_column", Field.string(null, "id column of a table (reported as the row's path)"));
    top.put("overlay", Field.bool(false, "segmentation: also write coloured overlays into OUTPUT/overlays/"));
    top.put("max_pixels", Field.integer(ImageDecoding.DEFAULT_MAX_PIXELS, 1, "largest width x height decoded; a "
        + "larger image is an error row, refused from its header"));
    return new Schema(top);
  }

  @Override
  public String summary() {
    return "batch-score a folder tree or table of images into Parquet / CSV (ensembles, multi-crop)";
  }

  @Override
  public int run(Args args, PrintStream out) throws Exception {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP);
      return 0;
    }
    boolean json = args.flag("--json");
    List<String> sets = args.options("--set");
    List<String> checkpoints = args.options("--checkpoint");
    String input = args.option("--input");
    String output = args.option("--output");
    String format = args.option("--format");
    int topK = args.positiveInt("--top-k", 0);
    int crops = args.positiveInt("--crops", 0);
    int batch = args.positiveInt("--batch", 0);
    int partitions = args.positiveInt("--partitions", 0);
    String imageColumn = args.option("--image-column");
    String idColumn = args.option("--id-column");
    boolean overlay = args.flag("--overlay");
    long maxPixels = args.positiveInt("--max-pixels", 0);
    String file = args.positional();
    args.done("SCORE.yaml, --set, --checkpoint, --input, --output, --format, --top-k, --crops, --batch, "
        + "--partitions, --image-column, --id-column, --overlay, --max-pixels, --json, --help");
    if (file != null || !sets.isEmpty()) {
      if (file == null) {
        throw new UsageException("sparkcnn score: --set needs a scoring job file");
      }
      JobFile job = JobFile.load(file, schema(), sets);
      if (checkpoints.isEmpty()) {
        job.list("checkpoints").forEach(c -> checkpoints.add(c.toString()));
      }
      input = input != null ? input : job.string("input");
      output = output != null ? output : job.string("output");
      format = format != null ? format : job.string("format");
      topK = topK > 0 ? topK : (int) job.integer("top_k");
      crops = crops > 0 ? crops : Integer.parseInt(job.string("crops"));
      batch = batch > 0 ? batch : (int) job.integer("batch");
      partitions = partitions > 0 ? partitions : (int) job.integer("partitions");
      imageColumn = imageColumn != null ? imageColumn : job.string("image_column");
      idColumn = idColumn != null ? idColumn : job.string("id_column");
      overlay = overlay || job.bool("overlay");
      maxPixels = maxPixels > 0 ? maxPixels : job.integer("max_pixels");
    }
    topK = topK > 0 ? topK : 5;
    crops = crops > 0 ? crops : 1;
    batch = batch > 0 ? batch : 64;
    maxPixels = maxPixels > 0 ? maxPixels : ImageDecoding.DEFAULT_MAX_PIXELS;
    partitions = partitions > 0 ? partitions : Runtime.getRuntime().availableProcessors();
    if (checkpoints.isEmpty() || input == null || output == null) {
      throw new UsageException("sparkcnn score: --checkpoint, --input and --output are required");
    }
    format = format == null ? "parquet" : format;
    if (!format.equals("parquet") && !format.equals("csv")) {
      throw new UsageException("sparkcnn score: --format: expected parquet or csv, got '" + format + "'");
    }
    if (crops != 1 && crops != 5 && crops != 10) {
      throw new UsageException("sparkcnn score: --crops: expected 1, 5 or 10, got " + crops);
    }
    JavaSparkContext sc = Spark.start("sparkcnn score", null, Map.of());
    try {
      List<ScoringModels.Member> members = new ArrayList<>();
      List<String> names = null;
      String namedBy = null;
      for (String c : checkpoints) {
        Checkpoints ck = Checkpoints.load(c, sc.hadoopConfiguration());
        // Checkpoints from before class names were stored (0..K-1) take the others' names.
        if (names == null || ClassNames.areDefaults(names)) {
          names = ck.classNames();
          namedBy = c;
        } else if (!ClassNames.areDefaults(ck.classNames()) && !ck.classNames().equals(names)) {
          throw new IllegalArgumentException("the ensemble's checkpoints name their classes differently: " + namedBy
              + " has " + names + ", " + c + " has " + ck.classNames());
        }
        members.add(new ScoringModels.Member(ck.spec(), ck.model().params(), ck.model().state(),
            ck.normalization()));
      }
      ScoringModels models = new ScoringModels(members);
      if (Zoo.perPixel(models.first())) {
        return scoreMasks(sc, models, input, output, format, batch, partitions, imageColumn, idColumn, overlay, crops,
            maxPixels, json, out);
      }
      Scorer scorer = new Scorer(models, topK, crops, batch, maxPixels);
      (json ? System.err : out).printf(Locale.ROOT, "scoring %s with %s (%d checkpoint(s), %d crop(s)) ...%n", input,
          models.first().name(), members.size(), crops);
      ScoreJob.Result r = ScoreJob.run(sc, input, imageColumn == null ? "image" : imageColumn, idColumn, scorer,
          names, output, format, partitions);
      models.close();
      Map<String, Object> report = report(r, Map.of());
      if (json) {
        out.println(Json.write(report));
      } else {
        out.printf(Locale.ROOT, "scored %d images (%d unreadable, see the error column) in %.1f s: %s%n", r.rows(),
            r.errors(), r.seconds(), r.output());
      }
      return 0;
    } finally {
      sc.stop();
    }
  }

  /** Scoring with a segmentation model: masks, overlays and one row per image (see the help). */
  private static int scoreMasks(JavaSparkContext sc, ScoringModels models, String input, String output, String format,
      int batch, int partitions, String imageColumn, String idColumn, boolean overlay, int crops, long maxPixels,
      boolean json, PrintStream out) throws Exception {
    if (crops != 1) {
      throw new UsageException("sparkcnn score: --crops: " + models.first().name() + " predicts a class per pixel; "
          + "multi-crop applies to classifiers only (expected 1, got " + crops + ")");
    }
    (json ? System.err : out).printf(Locale.ROOT, "scoring %s with %s (segmentation, %d checkpoint(s)) ...%n", input,
        models.first().name(), models.members().size());
    ScoreJob.Result r = ScoreJob.runMasks(sc, input, imageColumn == null ? "image" : imageColumn, idColumn,
        new MaskScorer(models, batch, output, overlay, maxPixels), output, format, partitions);
    models.close();
    Map<String, Object> written = new LinkedHashMap<>();
    written.put("masks", output + "/masks");
    if (overlay) {
      written.put("overlays", output + "/overlays");
    }
    Map<String, Object> report = report(r, written);
    if (json) {
      out.println(Json.write(report));
    } else {
      out.printf(Locale.ROOT, "scored %d images (%d unreadable, see the error column) in %.1f s: masks in %s/masks%s, "
          + "rows in %s%n", r.rows(), r.errors(), r.seconds(), output, overlay ? ", overlays in " + output
          + "/overlays" : "", r.output());
    }
    return 0;
  }

  /** The --json report of a scoring job: its output, what else it wrote (in order), rows, errors and speed. */
  private static Map<String, Object> report(ScoreJob.Result r, Map<String, Object> written) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("output", r.output());
    report.putAll(written);
    report.put("rows", r.rows());
    report.put("errors", r.errors());
    report.put("seconds", r.seconds());
    report.put("images_per_second", r.rows() / r.seconds());
    return report;
  }
}
