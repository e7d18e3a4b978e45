package sparkcnn.driver.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.ClassNames;
import sparkcnn.models.Json;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.Transfer;
import sparkcnn.models.zoo.Zoo;

/**
 * A whole training run: epochs of distributed steps with progress on the console (loss, accuracy, images/s, ETA
 * at a steady cadence) and as Spark job descriptions, evaluation after every epoch, checkpoints every N steps and
 * at the end, metrics.jsonl (one line per logged step and per epoch), and resume from the newest valid
 * checkpoint. With a validation set, every epoch is evaluated on it and the test set only once, at the end of the
 * run: choices made from the epochs' figures (a sweep's) never see the test set.
 */
public final class TrainingRun {
  /**
   * @param outputDir where checkpoints/ and metrics.jsonl go (any Hadoop path)
   * @param checkpointEvery steps between checkpoints (0: only at the end)
   * @param keep checkpoints kept (the newest; at least 1)
   * @param logEverySeconds console cadence
   * @param maxSteps stop after this many steps (0: every epoch)
   * @param pauseAtEpoch stop after this epoch with a checkpoint (0: never), as if interrupted there: the schedule
   *     still spans every epoch, so a resumed run ends exactly as an uninterrupted one (a sweep's rungs)
   */
  public record Options(int epochs, String outputDir, long checkpointEvery, int keep, boolean resume,
      double logEverySeconds, int evalBatch, PrintStream log, long maxSteps, int pauseAtEpoch) {}

  /**
   * How the run ended. test: null while paused or without a test set; validation: the last epoch's, or null.
   * resumedFrom: the step a resumed run continued from, or -1. finished: every step ran (not paused). skipped:
   * the non-finite steps skipped (training.skip_nonfinite).
   */
  public record Outcome(Evaluator.Result test, Evaluator.Result validation, String checkpoint, String metrics,
      long steps, double seconds, double imagesPerSecond, double trainLoss, double trainAccuracy, long resumedFrom,
      boolean finished, List<Long> skipped) {}

  private TrainingRun() {}

  /** validation, test: null when the job has none. */
  public static Outcome run(JavaSparkContext sc, JavaRDD<SampleBlock> train, JavaRDD<SampleBlock> validation,
      JavaRDD<SampleBlock> test, TrainConfig cfg, Options opt) throws IOException {
    long samples = train.map(SampleBlock::size).reduce(Integer::sum);
    cfg.stepsPerEpoch = Math.max(1, samples / cfg.globalBatch);
    cfg.totalSteps = cfg.stepsPerEpoch * opt.epochs();
    if (opt.maxSteps() > 0 && opt.maxSteps() < cfg.totalSteps) {
      cfg.totalSteps = opt.maxSteps();
    }
    PrintStream log = opt.log();
    CheckpointStore store = new CheckpointStore(opt.outputDir() + "/checkpoints", sc.hadoopConfiguration(), opt.keep());
    // A run being resumed continues from its own checkpoint: init.checkpoint only starts fresh runs.
    List<String> damaged = new ArrayList<>();
    Checkpoint.Contents resumeFrom = opt.resume() ? store.latest(w -> {
      damaged.add(w);
      log.println("warning: " + w);
    }) : null;
    if (resumeFrom == null && !damaged.isEmpty()) {
      // Checkpoints exist but none reads back: starting over would silently discard the run.
      throw new IOException("--resume: no valid checkpoint in " + opt.outputDir() + "/checkpoints; newest: "
          + damaged.get(0).substring(damaged.get(0).indexOf(": ") + 2));
    }
    Model initial = startingModel(sc, cfg, resumeFrom, log);
    JavaRDD<SampleBlock> features = cfg.featureInput
        ? FeatureCache.of(sc, train, cfg, initial, cfg.featuresPath, cfg.dataDescription, log) : null;
    DataParallelTrainer trainer = DataParallelTrainer.create(sc, features != null ? features : train, cfg);
    trainer.model().load(initial.params(), initial.state());
    Map<String, String> spec = spec(cfg);
    List<String> metrics = new ArrayList<>();
    Path metricsPath = new Path(opt.outputDir() + "/metrics.jsonl");
    long resumedFrom = -1;
    if (opt.resume()) {
      Checkpoint.Contents c = resumeFrom;
      if (c != null) {
        Checkpoint.restore(c, trainer.model(), trainer.optimizer(), "checkpoint");
        log.printf(Locale.ROOT, "resumed from step %d (epoch %d)%n", c.step(), c.epoch());
        resumedFrom = c.step();
        metrics.addAll(historyUpTo(sc, metricsPath, c.step()));
        Map<String, Object> mark = new LinkedHashMap<>();
        mark.put("kind", "resumed");
        mark.put("step", c.step());
        mark.put("epoch", c.epoch());
        metrics.add(Json.write(mark));
      } else {
        log.println("no checkpoint to resume from in " + opt.outputDir() + "/checkpoints; starting fresh");
      }
    }
    log.printf(Locale.ROOT, "training %s on %d samples in %d partitions: %d epochs x %d steps of %d%s, %s; %s%n",
        cfg.model.name(), samples, trainer.plan().partitions(), opt.epochs(), cfg.stepsPerEpoch, cfg.globalBatch,
        cfg.totalSteps < cfg.stepsPerEpoch * opt.epochs() ? " (stopping at step " + cfg.totalSteps + ")" : "",
        cfg.optimizer.describe(), trainer.describe());
    long[] lastFlush = {System.nanoTime()};
    Progress progress = new Progress(cfg, opt, System.nanoTime(), metrics, () -> {
      // While a session runs, not only at its end; at most every 5 s (the whole file is rewritten atomically).
      if (System.nanoTime() - lastFlush[0] < 5_000_000_000L) {
        return;
      }
      lastFlush[0] = System.nanoTime();
      try {
        writeLines(sc, metricsPath, metrics);
      } catch (IOException e) {
        log.println("warning: could not write " + metricsPath + ": " + e.getMessage());
      }
    });
    progress.lastStep = trainer.step(); // a resumed run counts its images from where it resumed
    String runName = new Path(opt.outputDir()).getName();
    long startStep = trainer.step();
    long stopAt = opt.pauseAtEpoch() > 0 ? Math.min(cfg.totalSteps, opt.pauseAtEpoch() * cfg.stepsPerEpoch)
        : cfg.totalSteps;
    String checkpoint = null;
    Evaluator.Result eval = null;
    Evaluator.Result held = null;
    try {
      while (trainer.step() < stopAt) {
        long step = trainer.step();
        int epoch = (int) (step / cfg.stepsPerEpoch) + 1;
        // The next stop: the end of this epoch (evaluation), the next checkpoint, or the end of the run.
        long until = Math.min(cfg.totalSteps, (long) epoch * cfg.stepsPerEpoch);
        if (opt.checkpointEvery() > 0) {
          until = Math.min(until, (step / opt.checkpointEvery() + 1) * opt.checkpointEvery());
        }
        trainer.run(until, String.format(Locale.ROOT, "%s (%s) epoch %d/%d", runName, cfg.model.name(), epoch,
            opt.epochs()), progress::step);
        long at = trainer.step();
        boolean epochEnd = at % cfg.stepsPerEpoch == 0 || at >= cfg.totalSteps;
        if (opt.checkpointEvery() > 0 && at % opt.checkpointEvery() == 0 || at >= stopAt) {
          checkpoint = store.save(spec, at, epoch, trainer.model(), trainer.optimizer());
        }
        boolean testNow = test != null && (validation == null || at >= cfg.totalSteps);
        if (epochEnd && (testNow || validation != null)) {
          Map<String, Object> m = line("epoch", at, epoch, progress.lastLoss, progress.lastAcc, progress.lastLr,
              Double.NaN);
          if (validation != null) {
            held = Evaluator.evaluate(sc, validation, cfg.model, trainer.model().params(), trainer.model().state(),
                cfg.normalization, opt.evalBatch(), cfg.ignoreIndex);
            log.printf(Locale.ROOT, "epoch %d/%d  validation loss %.4f  validation accuracy %.4f%s%n", epoch,
                opt.epochs(), held.loss(), held.accuracy(), held.perPixel() ? String.format(Locale.ROOT,
                "  mean IoU %.4f", held.segmentation().meanIou()) : "");
            m.put("validation_loss", held.loss());
            m.put("validation_accuracy", held.accuracy());
            m.put("validation_top5", held.top5());
            if (held.perPixel()) {
              m.put("validation_pixel_accuracy", held.segmentation().pixelAccuracy());
              m.put("validation_mean_iou", held.segmentation().meanIou());
            }
          }
          if (!testNow) {
            m.put("seconds", (System.nanoTime() - progress.start) / 1e9);
            metrics.add(Json.write(m));
            writeLines(sc, metricsPath, metrics);
            continue;
          }
          eval = Evaluator.evaluate(sc, test, cfg.model, trainer.model().params(), trainer.model().state(),
              cfg.normalization, opt.evalBatch(), cfg.ignoreIndex);
          double seconds = (System.nanoTime() - progress.start) / 1e9;
          m.put("test_loss", eval.loss());
          m.put("test_accuracy", eval.accuracy());
          m.put("test_top5", eval.top5());
          if (eval.perPixel()) {
            SegmentationMetrics seg = eval.segmentation();
            log.printf(Locale.ROOT, "epoch %d/%d  test loss %.4f  pixel accuracy %.4f  mean IoU %.4f (%d classes)  "
                + "(%.0f s)%n", epoch, opt.epochs(), eval.loss(), seg.pixelAccuracy(), seg.meanIou(),
                seg.classesInMean(), seconds);
            m.put("test_pixel_accuracy", seg.pixelAccuracy());
            m.put("test_mean_iou", seg.meanIou());
          } else {
            log.printf(Locale.ROOT, "epoch %d/%d  test loss %.4f  test accuracy %.4f  top-5 %.4f  (%.0f s)%n", epoch,
                opt.epochs(), eval.loss(), eval.accuracy(), eval.top5(), seconds);
          }
          m.put("seconds", seconds);
          metrics.add(Json.write(m));
          writeLines(sc, metricsPath, metrics);
        }
      }
    } finally {
      trainer.close();
      if (features != null) {
        features.unpersist(false);
      }
    }
    long start = progress.start;
    double lastLoss = progress.lastLoss;
    double lastAcc = progress.lastAcc;
    // A resumed run that had nothing left to train still reports its figures (a sweep resumed at a rung's end).
    if (held == null && validation != null) {
      held = Evaluator.evaluate(sc, validation, cfg.model, trainer.model().params(), trainer.model().state(),
          cfg.normalization, opt.evalBatch(), cfg.ignoreIndex);
    }
    if (eval == null && test != null && trainer.step() >= cfg.totalSteps) {
      eval = Evaluator.evaluate(sc, test, cfg.model, trainer.model().params(), trainer.model().state(),
          cfg.normalization, opt.evalBatch(), cfg.ignoreIndex);
    }
    releaseOnExecutors(cfg, train, test, validation);
    if (checkpoint == null) {
      checkpoint = store.save(spec, trainer.step(), opt.epochs(), trainer.model(), trainer.optimizer());
    }
    writeLines(sc, metricsPath, metrics);
    double seconds = (System.nanoTime() - start) / 1e9;
    double ips = (trainer.step() - startStep) * (double) cfg.globalBatch / seconds;
    return new Outcome(eval, held, checkpoint, metricsPath.toString(), trainer.step(), seconds, ips, lastLoss,
        lastAcc, resumedFrom, trainer.step() >= cfg.totalSteps, trainer.skippedSteps());
  }

  /**
   * What executors keep for a run (its replicas, its evaluation models) is dropped when it ends, where they are:
   * one small job over each of the run's cached data sets, whose partitions live on every executor that trained
   * or evaluated (in local mode, this JVM). Without it an executor kept them until later runs pushed them out.
   */
  @SafeVarargs
  private static void releaseOnExecutors(TrainConfig cfg, JavaRDD<SampleBlock>... sets) {
    String runId = cfg.runId;
    sparkcnn.models.zoo.ModelSpec spec = cfg.model;
    for (JavaRDD<SampleBlock> data : sets) {
      if (data == null) {
        continue;
      }
      data.context().setJobDescription("release the run's replicas and evaluation models");
      data.foreachPartition(it -> {
        Replica.forget(runId);
        Evaluator.forget(spec);
      });
    }
  }

  /**
   * The parameters training starts from: a resumed run's own checkpoint; else the seed's initialization, then
   * init.checkpoint's layers where the job names one (the head it does not fit stays fresh; both are said on the
   * console). The frozen backbone's features are computed from them.
   */
  private static Model startingModel(JavaSparkContext sc, TrainConfig cfg, Checkpoint.Contents resumeFrom,
      PrintStream log) throws IOException {
    Model m = Zoo.build(cfg.model).freeze(cfg.frozenParams).init(cfg.initSeed);
    if (resumeFrom != null) {
      Checkpoint.restore(resumeFrom, m, null, "checkpoint");
    } else if (cfg.initCheckpoint != null) {
      Checkpoint.Contents c = CheckpointStore.readFileOrNewest(cfg.initCheckpoint, sc.hadoopConfiguration(),
          w -> log.println("warning: " + w));
      Transfer.Report r = Transfer.initFrom(m, cfg.model, c, cfg.initCheckpoint);
      log.printf(Locale.ROOT, "initialized %d layers from %s (step %d)%s%n", r.copied(), cfg.initCheckpoint, c.step(),
          r.reinitialized().isEmpty() ? "" : "; re-initialized (new shape): " + String.join(", ", r.reinitialized()));
    }
    if (cfg.frozenParams > 0) {
      log.printf(Locale.ROOT, "frozen backbone: %,d of %,d parameters (%s)%n", cfg.frozenParams, m.paramCount(),
          cfg.featureInput ? "features pre-computed once" : "forward only, evaluation mode");
    }
    return m;
  }

  /** Console lines and metrics.jsonl "step" records at a steady cadence, fed one StepReport at a time. */
  private static final class Progress {
    final long start;
    private final TrainConfig cfg;
    private final Options opt;
    private final List<String> metrics;
    private final Runnable flush;
    private long lastLog;
    private long imagesSinceLog;
    private double lossSinceLog;
    private double accSinceLog;
    private int stepsSinceLog;
    double lastLoss = Double.NaN;
    double lastAcc = Double.NaN;
    float lastLr;
    private final boolean perPixel;
    private long lastStep;

    Progress(TrainConfig cfg, Options opt, long start, List<String> metrics, Runnable flush) {
      this.flush = flush;
      this.cfg = cfg;
      this.opt = opt;
      this.start = start;
      this.lastLog = start;
      this.metrics = metrics;
      this.perPixel = sparkcnn.models.zoo.Zoo.perPixel(cfg.model);
    }

    void step(StepReport r) {
      // A segmentation step counts pixels: images/s comes from the steps done instead.
      imagesSinceLog += perPixel ? (r.step() - lastStep) * cfg.globalBatch : r.samples();
      lastStep = r.step();
      lossSinceLog += r.loss();
      accSinceLog += r.accuracy();
      stepsSinceLog++;
      lastLr = r.lr();
      long now = System.nanoTime();
      int epoch = (int) ((r.step() - 1) / cfg.stepsPerEpoch) + 1;
      boolean epochEnd = r.step() % cfg.stepsPerEpoch == 0 || r.step() >= cfg.totalSteps;
      if ((now - lastLog) / 1e9 >= opt.logEverySeconds() || epochEnd) {
        double ips = imagesSinceLog / ((now - lastLog) / 1e9);
        double eta = (cfg.totalSteps - r.step()) * cfg.globalBatch / Math.max(ips, 1e-9);
        lastLoss = lossSinceLog / stepsSinceLog;
        lastAcc = accSinceLog / stepsSinceLog;
        opt.log().printf(Locale.ROOT, "epoch %d/%d step %d/%d  loss %.4f  acc %.4f  lr %.4g  %.0f img/s  ETA %s%n",
            epoch, opt.epochs(), (r.step() - 1) % cfg.stepsPerEpoch + 1, cfg.stepsPerEpoch, lastLoss, lastAcc,
            r.lr(), ips, duration(eta));
        metrics.add(Json.write(line("step", r.step(), epoch, lastLoss, lastAcc, r.lr(), ips)));
        if (!epochEnd) {
          flush.run(); // an epoch's end writes the file with its evaluation line anyway
        }
        lastLog = now;
        imagesSinceLog = 0;
        lossSinceLog = 0;
        accSinceLog = 0;
        stepsSinceLog = 0;
      }
    }
  }

  /** The checkpoint spec: the model spec, the class names and what rebuilding evaluation needs (normalization). */
  public static Map<String, String> spec(TrainConfig cfg) {
    Map<String, String> spec = new LinkedHashMap<>(cfg.model.toMap());
    List<String> names = cfg.classNames != null ? cfg.classNames : ClassNames.defaults(cfg.model.classes());
    if (names.size() != cfg.model.classes()) {
      throw new IllegalArgumentException(names.size() + " class names " + names + " for a model of "
          + cfg.model.classes() + " classes");
    }
    spec.put(ClassNames.KEY, ClassNames.encode(names));
    if (cfg.normalization != null) {
      cfg.normalization.putInto(spec);
    }
    spec.put("optimizer", cfg.optimizer.describe());
    if (cfg.ignoreIndex >= 0) {
      spec.put("ignore_index", Integer.toString(cfg.ignoreIndex)); // evaluate and score leave those pixels out
    }
    return spec;
  }

  private static Map<String, Object> line(String kind, long step, int epoch, double loss, double acc, float lr,
      double ips) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", kind);
    m.put("step", step);
    m.put("epoch", epoch);
    m.put("train_loss", loss);
    m.put("train_accuracy", acc);
    m.put("lr", (double) lr);
    if (!Double.isNaN(ips)) {
      m.put("images_per_second", ips);
    }
    return m;
  }

  /**
   * A resumed run's metrics.jsonl: the records of the interrupted run up to the step it resumes from (the ones
   * after it are recomputed, identically, and written again).
   */
  private static List<String> historyUpTo(JavaSparkContext sc, Path path, long step) throws IOException {
    List<String> kept = new ArrayList<>();
    if (!path.getFileSystem(sc.hadoopConfiguration()).exists(path)) {
      return kept;
    }
    for (String line : new String(HadoopFiles.readAll(path.toString(), sc.hadoopConfiguration()),
        StandardCharsets.UTF_8).split("\n")) {
      // A line torn by the kill that interrupted the run is not a record: dropped, like the steps after it.
      JsonNode record;
      try {
        record = Json.tree(line);
      } catch (IllegalArgumentException torn) {
        continue;
      }
      if (record != null && record.path("step").canConvertToLong() && record.path("step").asLong() <= step) {
        kept.add(line);
      }
    }
    return kept;
  }

  private static void writeLines(JavaSparkContext sc, Path path, List<String> lines) throws IOException {
    HadoopFiles.write(path.toString(), sc.hadoopConfiguration(),
        (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static String duration(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
        : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
  }
}
