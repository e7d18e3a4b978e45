package sparkcnn.jobs;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.jobs.config.TrainJob;
import sparkcnn.models.Json;

/** {@code train JOB.yaml}: a training job end to end, locally or under spark-submit. */
final class TrainCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn train JOB.yaml [--set key.path=value ...] [--resume] [--json]
             bin/sparkcnn train --schema      (every job-file key with its meaning and default)

      Trains the job's model on its data with Spark: embedded local mode (spark.master, default local[*]) when
      run from bin/sparkcnn, the given cluster under spark-submit. The job file is validated before Spark
      starts (see conf/jobs/README.md for the schema). Writes OUTPUT/checkpoints/, OUTPUT/metrics.jsonl (one
      line per logged step and per epoch) and OUTPUT/report.json, and prints the test accuracy at the end.
      With data.validation.fraction, a stratified share of the training data is held out and evaluated every
      epoch (console, metrics.jsonl, report.json); the test set is then evaluated once, at the end.
      Class names (data.class_names, else the class folders of a folder tree, else 0..K-1) are printed
      first and stored in every checkpoint and in report.json (class_names).

      options:
        --set key.path=value  override any field, e.g. --set training.epochs=2 --set data.augmentations=[hflip]
        --resume              continue from the newest valid checkpoint in OUTPUT/checkpoints
        --json                progress to stderr; one JSON object on stdout: test_accuracy, test_loss,
                              test_top5, checkpoint, metrics, report, seconds, images_per_second, steps,
                              class_names; with data.validation: validation_accuracy, validation_loss,
                              validation_top5, validation_samples
      """;

  @Override
  public String summary() {
    return "train a job definition (conf/jobs/*.yaml) with Spark, locally or under spark-submit";
  }

  @Override
  public int run(Args args, PrintStream out) throws Exception {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP);
      return 0;
    }
    if (args.flag("--schema")) {
      args.done("--schema");
      out.print(TrainJob.schema().describe());
      return 0;
    }
    boolean json = args.flag("--json");
    boolean resume = args.flag("--resume");
    List<String> sets = args.options("--set");
    String file = args.positional();
    if (file == null) {
      throw new UsageException("sparkcnn train: a job file is required (e.g. conf/jobs/fashion-convnet.yaml)");
    }
    args.done("JOB.yaml, --set key=value, --resume, --json, --help");
    TrainJob job = new TrainJob(file, sets);
    PrintStream log = json ? System.err : out;
    JavaSparkContext sc = Spark.start("sparkcnn train " + job.name(), job.job.string("spark.master"),
        job.job.map("spark.conf"));
    try {
      Map<String, Object> report = JobRun.run(sc, job, resume, 0, log);
      if (json) {
        out.println(Json.write(report));
      } else {
        out.printf(Locale.ROOT, "%ndone in %.0f s (%.0f images/s)%n", (Double) report.get("seconds"),
            (Double) report.get("images_per_second"));
        if (report.containsKey("validation_accuracy")) {
          out.printf(Locale.ROOT, "validation accuracy %.4f  (loss %.4f, %d held-out samples)%n",
              (Double) report.get("validation_accuracy"), (Double) report.get("validation_loss"),
              (Long) report.get("validation_samples"));
        }
        if (report.containsKey("test_mean_iou")) {
          out.printf(Locale.ROOT, "test mean IoU %.4f  pixel accuracy %.4f  (loss %.4f)%n",
              (Double) report.get("test_mean_iou"), (Double) report.get("test_pixel_accuracy"),
              (Double) report.get("test_loss"));
        } else if (report.containsKey("test_accuracy")) {
          out.printf(Locale.ROOT, "test accuracy %.4f  (loss %.4f, top-5 %.4f)%n", (Double) report.get("test_accuracy"),
              (Double) report.get("test_loss"), (Double) report.get("test_top5"));
        }
        out.println("checkpoint  " + report.get("checkpoint"));
        out.println("metrics     " + report.get("metrics"));
        out.println("report      " + report.get("report"));
      }
      return 0;
    } finally {
      sc.stop();
    }
  }
}
