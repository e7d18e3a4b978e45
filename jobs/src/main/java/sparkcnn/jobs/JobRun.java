package sparkcnn.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.data.Source;
import sparkcnn.driver.train.CheckpointStore;
import sparkcnn.driver.train.RunLock;
import sparkcnn.driver.train.TrainingRun;
import sparkcnn.jobs.config.TrainJob;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.ClassNames;
import sparkcnn.models.Json;

/** One validated training job run on a SparkContext: load data, train, evaluate, write report.json. */
public final class JobRun {
  private JobRun() {}

  /**
   * Runs the job; returns its report (also written to OUTPUT/report.json). pauseAtEpoch: stop after that epoch,
   * resumable (0: run to the end).
   */
  public static Map<String, Object> run(JavaSparkContext sc, TrainJob job, boolean resume, int pauseAtEpoch,
      PrintStream log) throws IOException {
    // Before any data is read: a second run into the same output would interleave checkpoints and metrics.
    try (RunLock lock = RunLock.acquire(job.output(), sc.hadoopConfiguration(), log::println)) {
      return locked(sc, job, resume, pauseAtEpoch, log);
    }
  }

  private static Map<String, Object> locked(JavaSparkContext sc, TrainJob job, boolean resume, int pauseAtEpoch,
      PrintStream log) throws IOException {
    var m = job.model;
    int partitions = (int) job.job.integer("data.partitions");
    if (partitions == 0) {
      partitions = sc.defaultParallelism();
    }
    log.printf(Locale.ROOT, "loading %s data from %s ...%n", job.train.format,
        job.train.path == null ? "(generated)" : job.train.path);
    Source.Loaded train = job.train.load(sc, m.channels(), m.height(), m.width(), m.classes(), partitions);
    Source.Loaded test = job.test == null ? null
        : job.test.load(sc, m.channels(), m.height(), m.width(), m.classes(), partitions);
    if (test != null && train.classes() != null && test.classes() != null
        && !train.classes().equals(test.classes())) {
      // Labels are positions in the sorted folder list: different lists would shift them silently.
      throw new IllegalArgumentException(job.test.path + ": the test tree's class folders " + test.classes()
          + " differ from the training tree's " + train.classes() + " (" + job.train.path + ")");
    }
    List<String> names = classNames(job, train, test, m.classes());
    job.config.classNames = new ArrayList<>(names);
    log.printf(Locale.ROOT, "class names (%d%s): %s%s%n", names.size(), job.classNames != null ? ", data.class_names"
        : train.classes() != null ? ", the class folders" : ", none given", Json.write(names.subList(0,
        Math.min(names.size(), 20))), names.size() > 20 ? " and " + (names.size() - 20) + " more" : "");
    if (train.validation() != null) {
      log.printf(Locale.ROOT, "validation: %d samples held out of the training data (%.3g of each class, seed %d); "
          + "%d left to train on%n", train.validationSamples(), job.train.validationFraction,
          job.train.validationSeed, train.samples());
    }
    reportBad(log, "training", train);
    if (test != null) {
      reportBad(log, "test", test);
    }
    normalize(sc, job, train.blocks(), resume, log);
    TrainingRun.Outcome o = TrainingRun.run(sc, train.blocks(), train.validation(),
        test == null ? null : test.blocks(), job.config,
        new TrainingRun.Options((int) job.job.integer("training.epochs"), job.output(),
            job.job.integer("checkpoint.every_steps"), (int) job.job.integer("checkpoint.keep"), resume,
            job.job.number("log_every_seconds"), 256, log,
            job.job.integer("training.max_steps"), pauseAtEpoch));
    train.blocks().unpersist(false);
    if (train.validation() != null) {
      train.validation().unpersist(false);
    }
    if (test != null) {
      test.blocks().unpersist(false);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("job", job.job.file());
    report.put("model", m.name());
    report.put("input", m.input());
    report.put("class_names", names);
    if (o.validation() != null) {
      report.put("validation_accuracy", o.validation().accuracy());
      report.put("validation_loss", o.validation().loss());
      report.put("validation_top5", o.validation().top5());
      report.put("validation_samples", train.validationSamples());
      if (o.validation().perPixel()) {
        report.put("validation_pixel_accuracy", o.validation().segmentation().pixelAccuracy());
        report.put("validation_mean_iou", o.validation().segmentation().meanIou());
      }
    }
    if (o.test() != null) {
      report.put("test_accuracy", o.test().accuracy());
      report.put("test_loss", o.test().loss());
      report.put("test_top5", o.test().top5());
      if (o.test().perPixel()) {
        report.put("test_pixel_accuracy", o.test().segmentation().pixelAccuracy());
        report.put("test_mean_iou", o.test().segmentation().meanIou());
      }
    }
    report.put("train_loss", o.trainLoss());
    report.put("train_accuracy", o.trainAccuracy());
    report.put("checkpoint", o.checkpoint());
    report.put("metrics", o.metrics());
    String reportPath = job.output() + "/report.json";
    report.put("report", reportPath);
    report.put("seconds", o.seconds());
    report.put("images_per_second", o.imagesPerSecond());
    report.put("steps", o.steps());
    report.put("finished", o.finished());
    report.put("resumed", o.resumedFrom() >= 0);
    if (o.resumedFrom() >= 0) {
      report.put("resumed_from_step", o.resumedFrom());
    }
    report.put("skipped_nonfinite", o.skipped().size());
    report.put("skipped_nonfinite_steps", o.skipped());
    report.put("unreadable_images", train.bad().size() + (test == null ? 0 : test.bad().size()));
    HadoopFiles.write(reportPath, sc.hadoopConfiguration(),
        (Json.write(report) + "\n").getBytes(StandardCharsets.UTF_8));
    return report;
  }

  /**
   * Sets the job's normalization when the job file gives none: a resumed run keeps the one it was trained with, a
   * fine-tuning run takes its pre-trained layers' (they expect the inputs they were trained on), otherwise it is
   * computed from the training blocks. The Spark ML estimator calls this too, so both normalize alike.
   */
  public static void normalize(JavaSparkContext sc, TrainJob job, JavaRDD<SampleBlock> train, boolean resume,
      PrintStream log) throws IOException {
    if (job.computeNormalization) {
      // A resumed run keeps the normalization it was trained with; a fine-tuning run takes its pre-trained
      // layers' (they expect the inputs they were trained on); otherwise it is computed from the data.
      Checkpoint.Contents from = resume ? new CheckpointStore(job.output() + "/checkpoints", sc.hadoopConfiguration(),
          1).latest(w -> { }) : null;
      String source = job.output() + "/checkpoints";
      if (from == null && job.config.initCheckpoint != null) {
        from = CheckpointStore.readFileOrNewest(job.config.initCheckpoint, sc.hadoopConfiguration(), w -> { });
        source = job.config.initCheckpoint;
      }
      job.config.normalization = from == null ? null : Normalization.from(from.spec());
      if (job.config.normalization != null) {
        log.println("normalization from " + source + ": " + job.config.normalization);
      }
    }
    if (job.computeNormalization && job.config.normalization == null) {
      job.config.normalization = Normalization.of(train.map(Normalization::sums).collect());
    }
  }

  /**
   * The run's class names: data.class_names, else the class folders of a folder tree (then padded with indices
   * to model.classes), else 0..K-1. Names given and folders found must agree (labels are positions in the sorted
   * folder list, so a different list would name every class wrongly).
   */
  static List<String> classNames(TrainJob job, Source.Loaded train, Source.Loaded test, int classes) {
    for (Source.Loaded l : new Source.Loaded[] {train, test}) {
      List<String> folders = l == null ? null : l.classes();
      if (folders == null) {
        continue;
      }
      String path = l == train ? job.train.path : job.test.path;
      if (folders.size() > classes) {
        throw new IllegalArgumentException(path + ": the tree has " + folders.size() + " class folders " + folders
            + " but model.classes is " + classes);
      }
      if (job.classNames != null && !job.classNames.subList(0, folders.size()).equals(folders)) {
        throw new IllegalArgumentException(job.job.file() + ": data.class_names " + job.classNames + " differ from "
            + "the class folders of " + path + ": " + folders + " (labels are positions in the sorted folder list)");
      }
    }
    if (job.classNames != null) {
      return job.classNames;
    }
    List<String> folders = train.classes() != null ? train.classes() : test != null ? test.classes() : null;
    List<String> names = ClassNames.defaults(classes);
    if (folders != null) {
      for (int i = 0; i < folders.size(); i++) {
        names.set(i, folders.get(i));
      }
    }
    return names;
  }

  private static void reportBad(PrintStream log, String what, Source.Loaded l) {
    if (!l.bad().isEmpty()) {
      log.printf(Locale.ROOT, "skipped %d unreadable %s images:%n", l.bad().size(), what);
      l.bad().stream().limit(20).forEach(b -> log.println("  " + b));
      if (l.bad().size() > 20) {
        log.println("  ... and " + (l.bad().size() - 20) + " more");
      }
    }
  }
}
