package sparkcnn.jobs;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.score.ScoringModels;
import sparkcnn.jobs.config.ConfigException;
import sparkcnn.jobs.config.Field;
import sparkcnn.jobs.config.JobFile;
import sparkcnn.jobs.config.Schema;
import sparkcnn.jobs.config.TrainJob;
import sparkcnn.jobs.sweep.Candidate;
import sparkcnn.jobs.sweep.InferenceCost;
import sparkcnn.jobs.sweep.ParetoFront;
import sparkcnn.jobs.sweep.RunToEnd;
import sparkcnn.jobs.sweep.SearchSpace;
import sparkcnn.jobs.sweep.SuccessiveHalving;
import sparkcnn.jobs.sweep.SweepReport;
import sparkcnn.jobs.sweep.TrialRecord;
import sparkcnn.jobs.sweep.TrialScheduler;
import sparkcnn.models.Summary;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/**
 * {@code sweep SWEEP.yaml}: a hyperparameter search over a base training job (compound scaling, grids and random
 * draws of any job key), trials ranked and stopped on a validation set held out of the training data, trials run
 * as concurrent Spark jobs, the test set evaluated once per finished trial and never used to choose. Writes
 * results.json, results.csv and report.html.
 */
final class SweepCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn sweep SWEEP.yaml [--set key.path=value ...] [--resume] [--json]

      SWEEP.yaml keys:
      %s
      Each trial is the base training job with its model.width, model.depth and model.resolution multiplied by
      beta^phi, alpha^phi and gamma^phi (the base job must not set model.phi), its job keys set (grid.keys,
      grid.lr, random draws), the sweep's overrides, and its own output folder OUTPUT/trial-NN.

      search: grid      every combination of grid.phi, the (alpha, beta, gamma) of the grid lists whose
                        alpha * beta^2 * gamma^2 is within grid.tolerance of 2, and grid.keys.
      search: random    the same, crossed with random.samples draws of random.ranges (uniform; integers when both
                        bounds are), random.log_ranges (log-uniform) and random.choices.
      search: compound  EfficientNet's two stages: stage 1 at phi = 1 over (alpha, beta, gamma), each >= 1, within
                        the tolerance (the grid, or compound.samples uniform draws in the grid lists' ranges), with
                        grid.keys and random draws; stage 2 trains the best stage-1 configuration at each phi of
                        compound.phi (phi 1 is the stage-1 trial itself).

      Trials hold out data.validation.fraction of the training data (the sweep's validation key when the base
      job holds out none), stratified by class and the same for every trial; they are ranked and stopped on it
      alone: on its accuracy, or with metric: validation_loss on its loss (continuous, so less noisy on a small
      validation set, where accuracies move in steps of one image). scheduler: successive_halving stops trials early (asynchronous successive halving, ASHA):
      rungs end at halving.min_epochs * eta^k epochs and at training.epochs; whenever a worker is free, a trial
      in the top 1/eta of a rung moves on to the next, resuming from its own checkpoint, else a new trial starts.
      scheduler: none trains every trial to the end. A finished trial (all of training.epochs) is evaluated on
      the test set once; its inference latency and throughput (batch 1 and 64, through the scoring path on the
      driver) are measured when the sweep's training is over.

      Trials run grid.concurrent at a time as concurrent Spark jobs in one application, under Spark's FAIR
      scheduler with one pool per trial (named trial-NN, as are its job groups in the Spark UI). A failed trial
      is reported with its error and the sweep goes on. results.json is rewritten after every rung: --resume
      continues an interrupted sweep (finished trials are kept, stopped rungs continue, failed and interrupted
      trials run again from their last checkpoint).

      Writes OUTPUT/results.json, OUTPUT/results.csv and OUTPUT/report.html (a self-contained page: sortable
      trial table, Pareto fronts of validation accuracy against multiply-adds and against latency, validation
      curves, the rungs, the chosen configuration). --json prints results.json on stdout.
      """;

  static Schema schema() {
    Map<String, Object> grid = new LinkedHashMap<>();
    grid.put("phi", Field.nonEmptyList(List.of(0.0), "compound coefficients (search grid and random)", "numbers",
        SweepCommand::num));
    grid.put("alpha", Field.nonEmptyList(List.of(Scaling.ALPHA), "depth bases", "numbers", SweepCommand::num));
    grid.put("beta", Field.nonEmptyList(List.of(Scaling.BETA), "width bases", "numbers", SweepCommand::num));
    grid.put("gamma", Field.nonEmptyList(List.of(Scaling.GAMMA), "resolution bases", "numbers", SweepCommand::num));
    grid.put("tolerance", Field.number(0.1, 0, 10, "allowed |alpha beta^2 gamma^2 - 2|"));
    grid.put("lr", Field.list(List.of(), "learning rates (the same as grid.keys training.lr)", "numbers",
        SweepCommand::num));
    grid.put("keys", Field.lists("job keys and the values to try, e.g. {training.batch: [64, 128], "
        + "training.weight_decay: [0, 0.0005], data.augmentations: [[], [hflip]]}", "values", v -> v));
    grid.put("concurrent", Field.integer(1L, 1, "trials running at once (concurrent Spark jobs)"));
    Map<String, Object> compound = new LinkedHashMap<>();
    compound.put("phi", Field.nonEmptyList(List.of(1.0, 2.0), "stage 2: the compound coefficients the best stage-1 "
        + "configuration is trained at (1: the stage-1 trial itself)", "numbers", SweepCommand::num));
    compound.put("samples", Field.integer(0L, 0, "stage 1: this many random (alpha, beta, gamma) within the "
        + "tolerance, uniform in the grid lists' ranges, instead of the grid (0: the grid)"));
    compound.put("seed", Field.integer(1L, 0, "seed of the random stage-1 draws"));
    Map<String, Object> random = new LinkedHashMap<>();
    random.put("samples", Field.integer(0L, 0, "random draws of the keys below (search random, or compound)"));
    random.put("seed", Field.integer(1L, 0, "seed of the draws"));
    random.put("ranges", Field.lists("job keys drawn uniformly in [low, high] (integers when both are)",
        "numbers", v -> v));
    random.put("log_ranges", Field.lists("job keys drawn log-uniformly in [low, high], e.g. {training.lr: "
        + "[0.0001, 0.01]}", "numbers", v -> v));
    random.put("choices", Field.lists("job keys drawn from a list of values", "values", v -> v));
    Map<String, Object> halving = new LinkedHashMap<>();
    halving.put("min_epochs", Field.integer(1L, 1, "epochs of the first rung"));
    halving.put("eta", Field.integer(3L, 2, "reduction factor: the top 1/eta of a rung go on, rungs eta times "
        + "longer"));
    halving.put("rungs", Field.integer(0L, 0, "at most this many rungs, the last at training.epochs (0: as many "
        + "as fit)"));
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("name", Field.string(null, "sweep name (default: the file name)"));
    top.put("base", Field.string(null, "the training job every trial starts from (required)"));
    top.put("set", Field.list(List.of(), "overrides for every trial, key.path=value", "strings", String::valueOf));
    top.put("search", Field.choice("grid", "how candidates are made", List.of("grid", "random", "compound")));
    top.put("grid", grid);
    top.put("compound", compound);
    top.put("random", random);
    top.put("scheduler", Field.choice("none", "early stopping across trials",
        List.of("none", "successive_halving")));
    top.put("halving", halving);
    top.put("metric", Field.choice("validation_accuracy", "what ranks, promotes and chooses trials (higher "
        + "accuracy, lower loss)", List.of("validation_accuracy", "validation_loss")));
    top.put("validation", Field.number(0.1, 0.001, 0.9, "data.validation.fraction for trials whose base job "
        + "holds out none"));
    top.put("latency_seconds", Field.number(1.0, 0, 60, "measuring time per batch size of each trial's inference "
        + "latency (0: not measured)"));
    top.put("output", Field.string(null, "output folder (default: runs/NAME)"));
    return new Schema(top);
  }

  private static Object num(Object v) {
    if (v instanceof Number n && n.doubleValue() >= 0 && Double.isFinite(n.doubleValue())) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException("a finite non-negative number");
  }

  @Override
  public String summary() {
    return "hyperparameter sweep (compound scaling, grid, random; successive halving): results and report.html";
  }

  @Override
  public int run(Args args, PrintStream out) throws Exception {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP.formatted(schema().describe()));
      return 0;
    }
    boolean json = args.flag("--json");
    boolean resume = args.flag("--resume");
    List<String> sets = args.options("--set");
    String file = args.positional();
    args.done("SWEEP.yaml, --set key=value, --resume, --json, --help");
    if (file == null) {
      throw new UsageException("sparkcnn sweep: a sweep file is required (e.g. conf/jobs/fashion-scaling-sweep.yaml)");
    }
    Plan plan = Plan.of(file, sets);
    PrintStream log = json ? System.err : out;
    Map<String, String> conf = new LinkedHashMap<>();
    // One pool per trial: concurrent trials share the executors fairly instead of first come, first served.
    conf.put("spark.scheduler.mode", "FAIR");
    conf.putAll(plan.baseJob.job.map("spark.conf"));
    JavaSparkContext sc = Spark.start("sparkcnn sweep " + plan.name, plan.baseJob.job.string("spark.master"), conf);
    try {
      SweepRun run = new SweepRun(sc, plan, log);
      if (exists(sc, plan.output + "/results.json") && !resume) {
        throw new UsageException("sparkcnn sweep: " + plan.output + "/results.json exists (an earlier run of this "
            + "sweep): --resume continues it; or choose another output (--set output=...)");
      }
      if (resume) {
        run.restore(readJson(sc, plan.output + "/results.json"));
      }
      Map<String, Object> report = run.run();
      if (json) {
        out.println(SweepReport.json(report).trim());
      } else {
        out.print(table(run.records()));
        run.records().stream().filter(r -> r.error != null).forEach(r -> out.printf(Locale.ROOT,
            "trial %d failed: %s%n", r.candidate.index(), r.error));
        TrialRecord c = run.chosen();
        out.printf(Locale.ROOT, "chosen (best %s): trial %d, %s: validation accuracy %.4f, loss %.4f, test %s%n",
            plan.metric.replace('_', ' '), c.candidate.index(), c.candidate.label(), c.validationAccuracy(),
            c.validationLoss(),
            c.testAccuracy == null ? "-" : String.format(Locale.ROOT, "%.4f", c.testAccuracy));
        Map<?, ?> compute = (Map<?, ?>) report.get("compute");
        out.printf(Locale.ROOT, "training compute: %,d images, %s multiply-adds, %.0f s of trial time%n",
            ((Number) compute.get("train_images")).longValue(),
            SweepReport.human(((Number) compute.get("train_macs")).doubleValue()),
            ((Number) compute.get("trial_seconds")).doubleValue());
        out.println("results: " + plan.output + "/results.json, " + plan.output + "/results.csv; report: "
            + plan.output + "/report.html");
      }
      return 0;
    } finally {
      sc.stop();
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> readJson(JavaSparkContext sc, String path) throws java.io.IOException {
    if (!exists(sc, path)) {
      throw new UsageException("sparkcnn sweep --resume: " + path + " does not exist (nothing to resume; run "
          + "without --resume)");
    }
    String text = new String(HadoopFiles.readAll(path, sc.hadoopConfiguration()), StandardCharsets.UTF_8);
    try {
      return (Map<String, Object>) sparkcnn.models.Json.read(text);
    } catch (RuntimeException e) {
      throw new java.io.IOException(path + ": not a sweep's results.json (" + Main.rootMessage(e) + ")");
    }
  }

  /** Everything a sweep file decides, checked before Spark starts. */
  static final class Plan {
    final JobFile sweep;
    final String file;
    final String name;
    final String base;
    final String output;
    final List<String> common = new ArrayList<>();
    final TrainJob baseJob;
    final SearchSpace space;
    final Scaling baseScaling;
    final int epochs;
    final List<Integer> rungEpochs;
    final String metric;

    private Plan(String file, List<String> sets) {
      this.file = file;
      sweep = JobFile.load(file, schema(), sets);
      base = sweep.string("base");
      metric = sweep.string("metric");
      if (base == null) {
        throw new ConfigException(file + ": base is required (a training job file)");
      }
      name = sweep.has("name") ? sweep.string("name")
          : java.nio.file.Path.of(file).getFileName().toString().replaceFirst("\\.ya?ml$", "");
      output = sweep.has("output") ? sweep.string("output") : "runs/" + name;
      sweep.list("set").forEach(o -> common.add(o.toString()));
      TrainJob job = new TrainJob(base, common);
      if (job.job.has("model.phi")) {
        throw new ConfigException(base + ": model.phi: a sweep sets the scaling itself; remove it from the base job");
      }
      if (job.job.number("data.validation.fraction") == 0) {
        // Sweeps choose on held-out training data, never on the test set.
        common.add(0, "data.validation.fraction=" + sweep.number("validation"));
        job = new TrainJob(base, common);
      }
      baseJob = job;
      // The trials scale the base job's own multipliers (a narrow base network stays narrow at phi 0).
      baseScaling = new Scaling(orOne(job, "model.width"), orOne(job, "model.depth"), orOne(job, "model.resolution"));
      space = new SearchSpace(sweep);
      epochs = (int) job.job.integer("training.epochs");
      if (sweep.string("scheduler").equals("successive_halving")) {
        if (job.job.integer("training.max_steps") > 0) {
          throw sweep.error("scheduler", "successive_halving", "none with a base job that stops at "
              + "training.max_steps (" + job.job.integer("training.max_steps") + "): successive halving counts "
              + "epochs; set training.epochs instead");
        }
        int min = (int) sweep.integer("halving.min_epochs");
        if (min >= epochs) {
          throw sweep.error("halving.min_epochs", min, "fewer than the base job's training.epochs (" + epochs
              + "), so that there is a rung to stop at");
        }
        rungEpochs = SuccessiveHalving.rungEpochs(min, (int) sweep.integer("halving.eta"),
            (int) sweep.integer("halving.rungs"), epochs);
      } else {
        rungEpochs = List.of(epochs);
      }
    }

    static Plan of(String file, List<String> sets) {
      Plan p = new Plan(file, sets);
      // Validate every trial's job before Spark starts (a too-small resolution or a bad key fails here).
      for (Candidate c : p.space.candidates()) {
        p.job(c);
      }
      return p;
    }

    /** The trial's training job; a bad key or value names the sweep file and the trial. */
    TrainJob job(Candidate c) {
      try {
        return new TrainJob(base, overrides(c));
      } catch (ConfigException e) {
        throw new ConfigException(file + ": trial " + c.index() + " (" + c.label() + "): " + e.getMessage());
      }
    }

    List<String> overrides(Candidate c) {
      List<String> o = new ArrayList<>(common);
      Scaling s = baseScaling.times(c.scaling());
      o.add("model.width=" + s.width());
      o.add("model.depth=" + s.depth());
      o.add("model.resolution=" + s.resolution());
      o.addAll(c.assignments());
      o.add("output=" + trialOutput(c.index()));
      return o;
    }

    String trialOutput(int index) {
      return output + "/" + trialName(index);
    }

    /** A new record for a candidate, with its model's size and cost. */
    TrialRecord record(Candidate c) {
      TrainJob job = job(c);
      TrialRecord r = new TrialRecord(c, trialOutput(c.index()));
      Summary summary = Summary.of(Zoo.build(job.model));
      r.width = job.model.scaling().width();
      r.depth = job.model.scaling().depth();
      r.resolution = job.model.scaling().resolution();
      r.input = job.model.input();
      r.params = summary.params();
      r.macs = summary.macs();
      return r;
    }

    TrialScheduler scheduler(List<Integer> trials) {
      return sweep.string("scheduler").equals("successive_halving")
          ? new SuccessiveHalving(trials, rungEpochs, (int) sweep.integer("halving.eta"))
          : new RunToEnd(trials, epochs);
    }
  }

  static String trialName(int index) {
    return String.format(Locale.ROOT, "trial-%02d", index);
  }

  private static double orOne(TrainJob job, String key) {
    Double v = job.job.numberOrNull(key);
    return v == null ? 1 : v;
  }

  static String table(List<TrialRecord> records) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%n%5s %5s %-8s %5s %6s %6s %6s %9s %10s %9s %6s %8s %8s %8s %8s %8s %s%n", "trial", "stage", "status",
        "phi", "alpha", "beta", "gamma", "input", "params", "mult-adds", "epochs", "val acc", "val loss", "test acc",
        "ms/img", "seconds", "keys"));
    for (TrialRecord r : records) {
      Candidate c = r.candidate;
      Object latency = r.inference.get("latency_ms_batch1");
      sb.append(String.format(Locale.ROOT,
          "%5d %5d %-8s %5.2f %6.3f %6.3f %6.3f %9s %,10d %9s %6d %8s %8s %8s %8s %8.0f %s%s%n", c.index(),
          c.stage(), r.status, c.phi(), c.alpha(), c.beta(), c.gamma(), r.input, r.params, SweepReport.human(r.macs),
          r.epochs(), fourDigits(r.validationAccuracy()), fourDigits(r.validationLoss()), r.testAccuracy == null ? "-" : String.format(Locale.ROOT, "%.4f", r.testAccuracy),
          latency == null ? "-" : String.format(Locale.ROOT, "%.2f", ((Number) latency).doubleValue()), r.seconds,
          String.join(" ", c.assignments()), r.paretoMacs ? " *" : ""));
    }
    sb.append("(* on the Pareto front of validation accuracy against multiply-adds)\n");
    return sb.toString();
  }

  private static String fourDigits(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** The best of the given trials by the metric (ties: the lower index). */
  static TrialRecord best(List<TrialRecord> finished, String metric) {
    return finished.stream().min(Comparator.comparingDouble((TrialRecord r) -> -TrialRecord.score(metric,
        r.metric(metric))).thenComparingInt(r -> r.candidate.index())).orElse(null);
  }

  /** Inference cost of every trial with a checkpoint that has none measured yet, one at a time. */
  static void measureInference(JavaSparkContext sc, List<TrialRecord> records, double seconds, PrintStream log) {
    if (seconds <= 0) {
      return;
    }
    for (TrialRecord r : records) {
      if (r.checkpoint == null || !r.inference.isEmpty()) {
        continue;
      }
      try {
        Checkpoints ck = Checkpoints.load(r.checkpoint, sc.hadoopConfiguration());
        r.inference = InferenceCost.measure(new ScoringModels.Member(ck.spec(), ck.model().params(),
            ck.model().state(), ck.normalization()), seconds);
        log.printf(Locale.ROOT, "%s inference: %.2f ms at batch 1, %.0f images/s at batch 64%n",
            trialName(r.candidate.index()), (Double) r.inference.get("latency_ms_batch1"),
            (Double) r.inference.get("images_per_second_batch64"));
      } catch (java.io.IOException | RuntimeException e) {
        log.printf(Locale.ROOT, "%s inference not measured: %s%n", trialName(r.candidate.index()),
            Main.rootMessage(e));
      }
    }
  }

  /** Marks the trials on the two Pareto fronts (finished trials: the same budget, comparable accuracies). */
  static void markPareto(List<TrialRecord> records) {
    List<TrialRecord> finished = records.stream().filter(r -> r.status.equals("finished")).toList();
    records.forEach(r -> {
      r.paretoMacs = false;
      r.paretoLatency = false;
    });
    ParetoFront.of(finished, r -> r.macs, TrialRecord::validationAccuracy).forEach(r -> r.paretoMacs = true);
    ParetoFront.of(finished, r -> r.inference.get("latency_ms_batch1") instanceof Number n ? n.doubleValue()
        : Double.NaN, TrialRecord::validationAccuracy).forEach(r -> r.paretoLatency = true);
  }

  static boolean exists(JavaSparkContext sc, String path) throws java.io.IOException {
    Path p = new Path(path);
    return p.getFileSystem(sc.hadoopConfiguration()).exists(p);
  }
}
