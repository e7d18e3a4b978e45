package sparkcnn.driver.train;

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
import sparkcnn.kernels.bench.Json;
import sparkcnn.models.Checkpoint;

/**
 * A whole training run: epochs of distributed steps with progress on the console (loss, accuracy, images/s, ETA
 * at a steady cadence) and as Spark job descriptions, evaluation after every epoch, checkpoints every N steps and
 * at the end, metrics.jsonl (one line per logged step and per epoch), and resume from the newest valid
 * checkpoint.
 */
public final class TrainingRun {
  /**
   * @param outputDir where checkpoints/ and metrics.jsonl go (any Hadoop path)
   * @param checkpointEvery steps between checkpoints (0: only at the end)
   * @param logEverySeconds console cadence
   */
  public record Options(int epochs, String outputDir, long checkpointEvery, boolean resume, double logEverySeconds,
      int evalBatch, PrintStream log, long maxSteps) {
    public Options(int epochs, String outputDir, long checkpointEvery, boolean resume, double logEverySeconds,
        int evalBatch, PrintStream log) {
      this(epochs, outputDir, checkpointEvery, resume, logEverySeconds, evalBatch, log, 0);
    }
  }

  /** How the run ended. */
  public record Outcome(Evaluator.Result test, String checkpoint, String metrics, long steps, double seconds,
      double imagesPerSecond, double trainLoss, double trainAccuracy) {}

  private TrainingRun() {}

  public static Outcome run(JavaSparkContext sc, JavaRDD<SampleBlock> train, JavaRDD<SampleBlock> test,
      TrainConfig cfg, Options opt) throws IOException {
    long samples = train.map(SampleBlock::size).reduce(Integer::sum);
    cfg.stepsPerEpoch = Math.max(1, samples / cfg.globalBatch);
    cfg.totalSteps = cfg.stepsPerEpoch * opt.epochs();
    if (opt.maxSteps() > 0 && opt.maxSteps() < cfg.totalSteps) {
      cfg.totalSteps = opt.maxSteps();
    }
    DistributedTrainer trainer = new DistributedTrainer(sc, train, cfg);
    CheckpointStore store = new CheckpointStore(opt.outputDir() + "/checkpoints", sc.hadoopConfiguration(), 3);
    Map<String, String> spec = spec(cfg);
    PrintStream log = opt.log();
    if (opt.resume()) {
      Checkpoint.Contents c = store.latest(w -> log.println("warning: " + w));
      if (c != null) {
        Checkpoint.restore(c, trainer.model(), trainer.optimizer(), "checkpoint");
        log.printf(Locale.ROOT, "resumed from step %d (epoch %d)%n", c.step(), c.epoch());
      } else {
        log.println("no checkpoint to resume from in " + opt.outputDir() + "/checkpoints; starting fresh");
      }
    }
    List<String> metrics = new ArrayList<>();
    Path metricsPath = new Path(opt.outputDir() + "/metrics.jsonl");
    log.printf(Locale.ROOT, "training %s on %d samples in %d partitions: %d epochs x %d steps of %d%s, %s%n",
        cfg.model.name(), samples, trainer.plan().partitions(), opt.epochs(), cfg.stepsPerEpoch, cfg.globalBatch,
        cfg.totalSteps < cfg.stepsPerEpoch * opt.epochs() ? " (stopping at step " + cfg.totalSteps + ")" : "",
        cfg.optimizer.describe());
    long start = System.nanoTime();
    long lastLog = start;
    long startStep = trainer.step();
    long imagesSinceLog = 0;
    double lossSinceLog = 0;
    double accSinceLog = 0;
    int stepsSinceLog = 0;
    double lastLoss = Double.NaN;
    double lastAcc = Double.NaN;
    String checkpoint = null;
    Evaluator.Result eval = null;
    while (trainer.step() < cfg.totalSteps) {
      long step = trainer.step();
      int epoch = (int) (step / cfg.stepsPerEpoch) + 1;
      DistributedTrainer.StepReport r = trainer.step(String.format(Locale.ROOT, "epoch %d/%d step %d/%d", epoch,
          opt.epochs(), step % cfg.stepsPerEpoch + 1, cfg.stepsPerEpoch));
      imagesSinceLog += r.samples();
      lossSinceLog += r.loss();
      accSinceLog += r.accuracy();
      stepsSinceLog++;
      long now = System.nanoTime();
      boolean epochEnd = r.step() % cfg.stepsPerEpoch == 0 || r.step() >= cfg.totalSteps;
      if ((now - lastLog) / 1e9 >= opt.logEverySeconds() || epochEnd) {
        double ips = imagesSinceLog / ((now - lastLog) / 1e9);
        double eta = (cfg.totalSteps - r.step()) * cfg.globalBatch / Math.max(ips, 1e-9);
        lastLoss = lossSinceLog / stepsSinceLog;
        lastAcc = accSinceLog / stepsSinceLog;
        log.printf(Locale.ROOT, "epoch %d/%d step %d/%d  loss %.4f  acc %.4f  lr %.4g  %.0f img/s  ETA %s%n", epoch,
            opt.epochs(), (r.step() - 1) % cfg.stepsPerEpoch + 1, cfg.stepsPerEpoch, lastLoss, lastAcc, r.lr(), ips,
            duration(eta));
        metrics.add(Json.write(line("step", r.step(), epoch, lastLoss, lastAcc, r.lr(), ips)));
        lastLog = now;
        imagesSinceLog = 0;
        lossSinceLog = 0;
        accSinceLog = 0;
        stepsSinceLog = 0;
      }
      boolean last = r.step() >= cfg.totalSteps;
      if (opt.checkpointEvery() > 0 && r.step() % opt.checkpointEvery() == 0 || last) {
        checkpoint = store.save(spec, r.step(), epoch, trainer.model(), trainer.optimizer());
      }
      if (epochEnd && test != null) {
        eval = Evaluator.evaluate(sc, test, cfg.model, trainer.model().params(), trainer.model().state(),
            cfg.normalization, opt.evalBatch());
        log.printf(Locale.ROOT, "epoch %d/%d  test loss %.4f  test accuracy %.4f  top-5 %.4f  (%.0f s)%n", epoch,
            opt.epochs(), eval.loss(), eval.accuracy(), eval.top5(), (System.nanoTime() - start) / 1e9);
        Map<String, Object> m = line("epoch", r.step(), epoch, lastLoss, lastAcc, r.lr(), Double.NaN);
        m.put("test_loss", eval.loss());
        m.put("test_accuracy", eval.accuracy());
        m.put("test_top5", eval.top5());
        m.put("seconds", (System.nanoTime() - start) / 1e9);
        metrics.add(Json.write(m));
        writeLines(sc, metricsPath, metrics);
      }
    }
    trainer.close();
    Evaluator.forget();
    if (checkpoint == null) {
      checkpoint = store.save(spec, trainer.step(), opt.epochs(), trainer.model(), trainer.optimizer());
    }
    writeLines(sc, metricsPath, metrics);
    double seconds = (System.nanoTime() - start) / 1e9;
    double ips = (trainer.step() - startStep) * (double) cfg.globalBatch / seconds;
    return new Outcome(eval, checkpoint, metricsPath.toString(), trainer.step(), seconds, ips, lastLoss, lastAcc);
  }

  /** The checkpoint spec: the model spec plus what rebuilding evaluation needs (normalization). */
  public static Map<String, String> spec(TrainConfig cfg) {
    Map<String, String> spec = new LinkedHashMap<>(cfg.model.toMap());
    if (cfg.normalization != null) {
      cfg.normalization.putInto(spec);
    }
    spec.put("optimizer", cfg.optimizer.describe());
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
