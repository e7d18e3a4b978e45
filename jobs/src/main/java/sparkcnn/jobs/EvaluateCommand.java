package sparkcnn.jobs;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.data.Source;
import sparkcnn.driver.train.Evaluator;
import sparkcnn.driver.train.SegmentationMetrics;
import sparkcnn.kernels.bench.Json;

/** {@code evaluate --checkpoint PATH --data SOURCE}: accuracy, loss, top-5 and the confusion matrix. */
final class EvaluateCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn evaluate --checkpoint PATH --data SOURCE [--partitions P] [--json]

      Rebuilds the model from the checkpoint alone (architecture, classes, input, scaling, normalization are in
      it) and evaluates it with Spark over SOURCE: %s.
      Prints loss, accuracy, top-5 accuracy and the confusion matrix (rows: true class, columns: predicted);
      --json prints one object with loss, accuracy, top5, count, confusion, checkpoint, step.
      A segmentation checkpoint (per-pixel output) is scored pixel by pixel (pixels with the training's
      ignore_index left out): pixel accuracy, IoU per class (TP / (TP + FP + FN) from the pixel confusion
      matrix) and mean IoU over the classes present in the truth or the predictions (a class absent from both
      has no IoU and is left out of the mean); --json adds pixel_accuracy, iou (null for absent classes),
      mean_iou and classes_in_mean, and count is pixels.
      """.formatted(DataArgs.FORMS);

  @Override
  public String summary() {
    return "evaluate a checkpoint on a dataset: accuracy, loss, top-5, confusion matrix (--json)";
  }

  @Override
  public int run(Args args, PrintStream out) throws Exception {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP);
      return 0;
    }
    boolean json = args.flag("--json");
    String ckpt = args.option("--checkpoint");
    String data = args.option("--data");
    int partitions = args.positiveInt("--partitions", Runtime.getRuntime().availableProcessors());
    args.done("--checkpoint, --data, --partitions, --json, --help");
    if (ckpt == null || data == null) {
      throw new UsageException("sparkcnn evaluate: --checkpoint PATH and --data SOURCE are required");
    }
    Source source = DataArgs.parse(data, "sparkcnn evaluate");
    JavaSparkContext sc = Spark.start("sparkcnn evaluate", null, Map.of());
    try {
      Checkpoints c = Checkpoints.load(ckpt, sc.hadoopConfiguration());
      var m = c.spec();
      source.segmentation = sparkcnn.models.zoo.Zoo.perPixel(m);
      source.ignoreIndex = c.ignoreIndex();
      Source.Loaded loaded = source.load(sc, m.channels(), m.height(), m.width(), m.classes(), partitions);
      Evaluator.Result r = Evaluator.evaluate(sc, loaded.blocks(), m, c.model().params(), c.model().state(),
          c.normalization(), 256, c.ignoreIndex());
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("checkpoint", ckpt);
      report.put("step", c.step());
      report.put("model", m.name());
      report.put("loss", r.loss());
      report.put("accuracy", r.accuracy());
      report.put("top5", r.top5());
      report.put("count", r.count());
      report.put("unreadable_images", loaded.bad().size());
      List<Object> rows = new ArrayList<>();
      for (int t = 0; t < r.classes(); t++) {
        List<Object> row = new ArrayList<>();
        for (int p = 0; p < r.classes(); p++) {
          row.add(r.confusion(t, p));
        }
        rows.add(row);
      }
      report.put("confusion", rows);
      SegmentationMetrics seg = r.perPixel() ? r.segmentation() : null;
      if (seg != null) {
        report.put("pixel_accuracy", seg.pixelAccuracy());
        List<Object> iou = new ArrayList<>();
        for (double v : seg.iou()) {
          iou.add(v);
        }
        report.put("iou", iou);
        report.put("mean_iou", seg.meanIou());
        report.put("classes_in_mean", seg.classesInMean());
      }
      if (json) {
        out.println(Json.write(report));
      } else if (seg != null) {
        out.printf(Locale.ROOT, "%s (step %d) on %d pixels: pixel accuracy %.4f  mean IoU %.4f  loss %.4f%n",
            m.name(), c.step(), r.count(), seg.pixelAccuracy(), seg.meanIou(), r.loss());
        out.printf(Locale.ROOT, "mean IoU over the %d of %d classes present in the truth or the predictions (a "
            + "class absent from both has no IoU)%n", seg.classesInMean(), r.classes());
        out.println("class    IoU");
        for (int k = 0; k < r.classes(); k++) {
          out.printf(Locale.ROOT, "%5d    %s%n", k, Double.isNaN(seg.iou()[k]) ? "absent"
              : String.format(Locale.ROOT, "%.4f", seg.iou()[k]));
        }
      } else {
        out.printf(Locale.ROOT, "%s (step %d) on %d samples: accuracy %.4f  loss %.4f  top-5 %.4f%n", m.name(),
            c.step(), r.count(), r.accuracy(), r.loss(), r.top5());
        out.println("confusion matrix (rows: true class, columns: predicted):");
        for (int t = 0; t < r.classes(); t++) {
          StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%4d |", t));
          for (int p = 0; p < r.classes(); p++) {
            sb.append(String.format(Locale.ROOT, " %6d", r.confusion(t, p)));
          }
          out.println(sb);
        }
      }
      return 0;
    } finally {
      sc.stop();
    }
  }
}
