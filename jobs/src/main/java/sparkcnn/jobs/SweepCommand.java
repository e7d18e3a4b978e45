package sparkcnn.jobs;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.jobs.config.ConfigException;
import sparkcnn.jobs.config.Field;
import sparkcnn.jobs.config.JobFile;
import sparkcnn.jobs.config.Schema;
import sparkcnn.jobs.config.TrainJob;
import sparkcnn.models.Json;
import sparkcnn.models.Summary;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/**
 * {@code sweep SWEEP.yaml}: a grid over compound scaling (phi, and base coefficients alpha, beta, gamma with
 * alpha * beta^2 * gamma^2 within a tolerance of 2) and optionally the learning rate; each trial trains the base
 * job with a budget and is evaluated. Writes results.json, results.csv and pareto.png.
 */
final class SweepCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn sweep SWEEP.yaml [--set key.path=value ...] [--json]

      SWEEP.yaml keys:
      %s
      Each trial is the base training job with its model.width, model.depth and model.resolution multiplied
      by beta^phi, alpha^phi and gamma^phi (the base job must not set model.phi), its training.lr if grid.lr
      is given,
      the sweep's overrides, and its own output folder OUTPUT/trial-NN. Coefficient triples whose
      alpha * beta^2 * gamma^2 is farther than grid.tolerance from 2 are skipped. Trials run grid.concurrent
      at a time on the same Spark application. Prints the results table (params, multiply-adds, accuracy,
      seconds per trial) and the best trial; writes OUTPUT/results.json, OUTPUT/results.csv and
      OUTPUT/pareto.png (accuracy against multiply-adds with the Pareto front). --json prints results.json.
      """;

  static Schema schema() {
    Map<String, Object> grid = new LinkedHashMap<>();
    grid.put("phi", Field.list(List.of(0.0, 1.0, 2.0), "compound coefficients", "numbers", SweepCommand::num));
    grid.put("alpha", Field.list(List.of(Scaling.ALPHA), "depth bases", "numbers", SweepCommand::num));
    grid.put("beta", Field.list(List.of(Scaling.BETA), "width bases", "numbers", SweepCommand::num));
    grid.put("gamma", Field.list(List.of(Scaling.GAMMA), "resolution bases", "numbers", SweepCommand::num));
    grid.put("tolerance", Field.number(0.1, 0, 10, "allowed |alpha beta^2 gamma^2 - 2|"));
    grid.put("lr", Field.list(List.of(), "learning rates (empty: the base job's)", "numbers", SweepCommand::num));
    grid.put("concurrent", Field.integer(1L, 1, "trials running at once"));
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("name", Field.string(null, "sweep name (default: the file name)"));
    top.put("base", Field.string(null, "the training job every trial starts from (required)"));
    top.put("set", Field.list(List.of(), "overrides for every trial, key.path=value", "strings", String::valueOf));
    top.put("grid", grid);
    top.put("output", Field.string(null, "output folder (default: runs/NAME)"));
    return new Schema(top);
  }

  private static Object num(Object v) {
    if (v instanceof Number n && n.doubleValue() >= 0) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException("a non-negative number");
  }

  @Override
  public String summary() {
    return "hyperparameter sweep over compound scaling: results table, JSON and Pareto chart";
  }

  /** One trial's settings. */
  record Trial(int index, double phi, double alpha, double beta, double gamma, Double lr) {
    Scaling scaling() {
      return Scaling.phi(phi, alpha, beta, gamma);
    }
  }

  @Override
  public int run(Args args, PrintStream out) throws Exception {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP.formatted(schema().describe()));
      return 0;
    }
    boolean json = args.flag("--json");
    List<String> sets = args.options("--set");
    String file = args.positional();
    args.done("SWEEP.yaml, --set key=value, --json, --help");
    if (file == null) {
      throw new UsageException("sparkcnn sweep: a sweep file is required (e.g. conf/jobs/fashion-scaling-sweep.yaml)");
    }
    JobFile sweep = JobFile.load(file, schema(), sets);
    String base = sweep.string("base");
    if (base == null) {
      throw new ConfigException(file + ": base is required (a training job file)");
    }
    String name = sweep.has("name") ? sweep.string("name")
        : java.nio.file.Path.of(file).getFileName().toString().replaceFirst("\\.ya?ml$", "");
    String output = sweep.has("output") ? sweep.string("output") : "runs/" + name;
    List<String> common = new ArrayList<>();
    sweep.list("set").forEach(o -> common.add(o.toString()));
    List<Trial> trials = trials(sweep, file);
    TrainJob baseJob = new TrainJob(base, common);
    if (baseJob.job.has("model.phi")) {
      throw new ConfigException(base + ": model.phi: a sweep sets the scaling itself; remove it from the base job");
    }
    // The trials scale the base job's own multipliers (a narrow base network stays narrow at phi 0).
    Scaling baseScaling = new Scaling(orOne(baseJob, "model.width"), orOne(baseJob, "model.depth"),
        orOne(baseJob, "model.resolution"));
    // Validate every trial's job before Spark starts (a too-small resolution fails here).
    List<TrainJob> jobs = new ArrayList<>();
    for (Trial t : trials) {
      jobs.add(new TrainJob(base, overrides(t, baseScaling, common, output)));
    }
    PrintStream log = json ? System.err : out;
    log.printf(Locale.ROOT, "sweep %s: %d trials of %s, %d at a time%n", name, trials.size(), base,
        sweep.integer("grid.concurrent"));
    JavaSparkContext sc = Spark.start("sparkcnn sweep " + name, jobs.get(0).job.string("spark.master"),
        jobs.get(0).job.map("spark.conf"));
    List<Map<String, Object>> results = new ArrayList<>();
    try {
      ExecutorService pool = Executors.newFixedThreadPool((int) sweep.integer("grid.concurrent"));
      List<Future<Map<String, Object>>> futures = new ArrayList<>();
      for (int i = 0; i < trials.size(); i++) {
        Trial t = trials.get(i);
        TrainJob job = jobs.get(i);
        futures.add(pool.submit(() -> trial(sc, t, job, log)));
      }
      List<Map<String, Object>> done = new ArrayList<>();
      for (int i = 0; i < futures.size(); i++) {
        try {
          Map<String, Object> r = futures.get(i).get();
          results.add(r);
          done.add(r);
        } catch (java.util.concurrent.ExecutionException e) {
          // A failed trial is reported in the table; the others still count.
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("trial", trials.get(i).index());
          r.put("phi", trials.get(i).phi());
          r.put("error", Main.rootMessage(e));
          results.add(r);
          log.printf(Locale.ROOT, "trial %d failed: %s%n", trials.get(i).index(), r.get("error"));
        }
      }
      pool.shutdown();
      if (done.isEmpty()) {
        throw new IllegalStateException("every trial failed (first: " + results.get(0).get("error") + ")");
      }
      Map<String, Object> best = done.stream().max((a, b) -> Double.compare((Double) a.get("test_accuracy"),
          (Double) b.get("test_accuracy"))).orElseThrow();
      List<ParetoChart.Point> points = new ArrayList<>();
      for (Map<String, Object> r : done) {
        points.add(new ParetoChart.Point("phi " + r.get("phi"), ((Number) r.get("macs")).doubleValue(),
            (Double) r.get("test_accuracy")));
      }
      List<ParetoChart.Point> front = ParetoChart.front(points);
      for (int i = 0; i < done.size(); i++) {
        done.get(i).put("pareto", front.contains(points.get(i)));
      }
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("sweep", file);
      report.put("base", base);
      report.put("trials", results);
      report.put("best", best);
      report.put("chart", output + "/pareto.png");
      write(sc, output + "/results.json", (Json.write(report) + "\n").getBytes(StandardCharsets.UTF_8));
      write(sc, output + "/results.csv", csv(done).getBytes(StandardCharsets.UTF_8));
      write(sc, output + "/pareto.png", ParetoChart.png("sweep " + name + ": accuracy vs multiply-adds", points));
      if (json) {
        out.println(Json.write(report));
      } else {
        out.print(table(done));
        results.stream().filter(r -> r.containsKey("error")).forEach(r -> out.printf(Locale.ROOT,
            "trial %s failed: %s%n", r.get("trial"), r.get("error")));
        out.printf(Locale.ROOT, "best: trial %s (phi %s, width %.3f, depth %.3f, resolution %.3f) accuracy %.4f%n",
            best.get("trial"), best.get("phi"), (Double) best.get("width"), (Double) best.get("depth"),
            (Double) best.get("resolution"), (Double) best.get("test_accuracy"));
        out.println("results: " + output + "/results.json, " + output + "/results.csv; chart: " + output
            + "/pareto.png");
      }
      return 0;
    } finally {
      sc.stop();
    }
  }

  static List<Trial> trials(JobFile sweep, String file) {
    List<Trial> out = new ArrayList<>();
    double tol = sweep.number("grid.tolerance");
    List<Object> lrs = sweep.list("grid.lr");
    int skipped = 0;
    for (Object a : sweep.list("grid.alpha")) {
      for (Object b : sweep.list("grid.beta")) {
        for (Object g : sweep.list("grid.gamma")) {
          double alpha = (Double) a;
          double beta = (Double) b;
          double gamma = (Double) g;
          if (Math.abs(alpha * beta * beta * gamma * gamma - 2) > tol) {
            skipped++;
            continue;
          }
          for (Object p : sweep.list("grid.phi")) {
            for (Object lr : lrs.isEmpty() ? java.util.Collections.singletonList(null) : lrs) {
              out.add(new Trial(out.size(), (Double) p, alpha, beta, gamma, lr == null ? null : (Double) lr));
            }
          }
        }
      }
    }
    if (out.isEmpty()) {
      throw new ConfigException(file + ": grid: no (alpha, beta, gamma) has alpha * beta^2 * gamma^2 within "
          + tol + " of 2 (" + skipped + " skipped); widen grid.tolerance or change the bases");
    }
    return out;
  }

  private static double orOne(TrainJob job, String key) {
    Double v = job.job.numberOrNull(key);
    return v == null ? 1 : v;
  }

  private static List<String> overrides(Trial t, Scaling base, List<String> common, String output) {
    List<String> o = new ArrayList<>(common);
    Scaling s = base.times(t.scaling());
    o.add("model.width=" + s.width());
    o.add("model.depth=" + s.depth());
    o.add("model.resolution=" + s.resolution());
    if (t.lr() != null) {
      o.add("training.lr=" + t.lr());
    }
    o.add(String.format(Locale.ROOT, "output=%s/trial-%02d", output, t.index()));
    return o;
  }

  private static Map<String, Object> trial(JavaSparkContext sc, Trial t, TrainJob job, PrintStream log)
      throws Exception {
    Summary summary = Summary.of(Zoo.build(job.model));
    log.printf(Locale.ROOT, "trial %d: phi %.2f (alpha %.3f beta %.3f gamma %.3f)%s -> input %s, %d params, %s "
        + "multiply-adds%n", t.index(), t.phi(), t.alpha(), t.beta(), t.gamma(), t.lr() == null ? "" : " lr " + t.lr(),
        job.model.input(), summary.params(), ParetoChart.human(summary.macs()));
    Map<String, Object> report = JobRun.run(sc, job, false, log);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("trial", t.index());
    r.put("phi", t.phi());
    r.put("alpha", t.alpha());
    r.put("beta", t.beta());
    r.put("gamma", t.gamma());
    r.put("width", job.model.scaling().width());
    r.put("depth", job.model.scaling().depth());
    r.put("resolution", job.model.scaling().resolution());
    r.put("lr", t.lr() == null ? (double) job.config.optimizer.lr : t.lr());
    r.put("input", job.model.input());
    r.put("params", summary.params());
    r.put("macs", summary.macs());
    r.put("test_accuracy", report.getOrDefault("test_accuracy", Double.NaN));
    r.put("seconds", report.get("seconds"));
    r.put("checkpoint", report.get("checkpoint"));
    log.printf(Locale.ROOT, "trial %d: accuracy %.4f in %.0f s%n", t.index(), (Double) r.get("test_accuracy"),
        (Double) r.get("seconds"));
    return r;
  }

  static String table(List<Map<String, Object>> results) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%n%5s %5s %6s %6s %6s %8s %9s %11s %12s %8s %8s %s%n", "trial", "phi", "alpha", "beta", "gamma", "lr",
        "input", "params", "mult-adds", "accuracy", "seconds", "pareto"));
    for (Map<String, Object> r : results) {
      sb.append(String.format(Locale.ROOT, "%5d %5.2f %6.3f %6.3f %6.3f %8.2g %9s %,11d %12s %8.4f %8.0f %s%n",
          (Integer) r.get("trial"), (Double) r.get("phi"), (Double) r.get("alpha"), (Double) r.get("beta"),
          (Double) r.get("gamma"), (Double) r.get("lr"), r.get("input"), (Long) r.get("params"),
          ParetoChart.human(((Number) r.get("macs")).doubleValue()), (Double) r.get("test_accuracy"),
          (Double) r.get("seconds"), Boolean.TRUE.equals(r.get("pareto")) ? "*" : ""));
    }
    return sb.toString();
  }

  private static String csv(List<Map<String, Object>> results) {
    StringBuilder sb = new StringBuilder(String.join(",", results.get(0).keySet())).append('\n');
    for (Map<String, Object> r : results) {
      List<String> cells = new ArrayList<>();
      r.values().forEach(v -> cells.add(String.valueOf(v)));
      sb.append(String.join(",", cells)).append('\n');
    }
    return sb.toString();
  }

  private static void write(JavaSparkContext sc, String path, byte[] bytes) throws java.io.IOException {
    HadoopFiles.write(path, sc.hadoopConfiguration(), bytes);
  }
}
