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
import sparkcnn.models.ClassNames;
import sparkcnn.models.Json;

/** {@code evaluate --checkpoint PATH --data SOURCE}: accuracy, loss, top-5 and the confusion matrix. */
final class EvaluateCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn evaluate --checkpoint PATH --data SOURCE [--partitions P] [--json]

      Rebuilds the model from the checkpoint alone (architecture, classes, class names, input, scaling,
      normalization are in it) and evaluates it with Spark over SOURCE: %s.
      Prints loss, accuracy, top-5 accuracy and the confusion matrix (rows: true class with its name, columns:
      predicted class by number) with each class's recall and precision; --json prints one object with loss,
      accuracy, top5, count, confusion, class_names, per_class (class, name, support, predicted, recall,
      precision), checkpoint, step. A folder tree's class folders must match the checkpoint's class names.
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
      List<String> names = c.classNames();
      if (loaded.classes() != null && !ClassNames.areDefaults(names)
          && !names.subList(0, Math.min(names.size(), loaded.classes().size())).equals(loaded.classes())) {
        // Labels are positions in the sorted folder list: other folders would be scored against the wrong classes.
        throw new IllegalArgumentException(source.path + ": the class folders " + loaded.classes() + " differ from "
            + "the checkpoint's class names " + names);
      }
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
      report.put("class_names", names);
      List<Object> perClass = new ArrayList<>();
      for (int k = 0; k < r.classes(); k++) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("class", k);
        one.put("name", names.get(k));
        one.put("support", support(r, k));
        one.put("predicted", predicted(r, k));
        one.put("recall", recall(r, k));
        one.put("precision", precision(r, k));
        perClass.add(one);
      }
      report.put("per_class", perClass);
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
        out.print(confusionTable(r, names));
      }
      return 0;
    } finally {
      sc.stop();
    }
  }

  /** Widest name column of the table; longer names are cut and end in '~' (the number beside them is exact). */
  static final int NAME_WIDTH = 18;

  /**
   * The confusion matrix as text: one row per true class (its number and, unless the classes are unnamed, its
   * name), one column per predicted class (by number, so the columns stay narrow), then the class's recall and
   * precision ("-" where nothing was true or predicted).
   */
  static String confusionTable(Evaluator.Result r, List<String> names) {
    int k = r.classes();
    boolean named = !ClassNames.areDefaults(names);
    int numberWidth = Integer.toString(k - 1).length();
    int nameWidth = 0;
    for (String n : names) {
      nameWidth = Math.max(nameWidth, Math.min(NAME_WIDTH, width(n)));
    }
    long most = 0;
    for (int i = 0; i < k * k; i++) {
      most = Math.max(most, r.confusion()[i]);
    }
    int cell = Math.max(Math.max(6, Long.toString(most).length()), numberWidth);
    int labelWidth = numberWidth + (named ? 1 + nameWidth : 0);
    StringBuilder sb = new StringBuilder("confusion matrix (rows: true class, columns: predicted class; recall and "
        + "precision per class):\n");
    sb.append(" ".repeat(labelWidth)).append(" |");
    for (int p = 0; p < k; p++) {
      sb.append(' ').append(pad(Integer.toString(p), cell, true));
    }
    sb.append(" |  recall  precision\n");
    for (int t = 0; t < k; t++) {
      String label = pad(Integer.toString(t), numberWidth, true);
      if (named) {
        label += " " + pad(abbreviate(names.get(t), nameWidth), nameWidth, false);
      }
      sb.append(label).append(" |");
      for (int p = 0; p < k; p++) {
        sb.append(' ').append(pad(Long.toString(r.confusion(t, p)), cell, true));
      }
      sb.append(" |  ").append(pad(ratio(recall(r, t)), 6, true)).append("  ")
          .append(pad(ratio(precision(r, t)), 9, true)).append('\n');
    }
    return sb.toString();
  }

  static long support(Evaluator.Result r, int k) {
    long n = 0;
    for (int p = 0; p < r.classes(); p++) {
      n += r.confusion(k, p);
    }
    return n;
  }

  static long predicted(Evaluator.Result r, int k) {
    long n = 0;
    for (int t = 0; t < r.classes(); t++) {
      n += r.confusion(t, k);
    }
    return n;
  }

  /** Share of class k's samples predicted as k; NaN (null in JSON) when the set has none. */
  static double recall(Evaluator.Result r, int k) {
    long n = support(r, k);
    return n == 0 ? Double.NaN : r.confusion(k, k) / (double) n;
  }

  /** Share of the predictions of k that were right; NaN (null in JSON) when nothing was predicted as k. */
  static double precision(Evaluator.Result r, int k) {
    long n = predicted(r, k);
    return n == 0 ? Double.NaN : r.confusion(k, k) / (double) n;
  }

  private static String ratio(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** Characters as a console shows them: code points (a surrogate pair is one). */
  private static int width(String s) {
    return s.codePointCount(0, s.length());
  }

  /** At most max code points; a cut name keeps its start and ends in '~'. Tabs and other controls become spaces. */
  static String abbreviate(String name, int max) {
    StringBuilder clean = new StringBuilder();
    name.codePoints().forEach(cp -> clean.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
    String s = clean.toString();
    if (width(s) <= max) {
      return s;
    }
    return s.substring(0, s.offsetByCodePoints(0, max - 1)) + "~";
  }

  private static String pad(String s, int w, boolean right) {
    String fill = " ".repeat(Math.max(0, w - width(s)));
    return right ? fill + s : s + fill;
  }
}
