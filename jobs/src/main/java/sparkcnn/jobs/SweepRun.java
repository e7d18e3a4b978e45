package sparkcnn.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.jobs.config.TrainJob;
import sparkcnn.jobs.sweep.Candidate;
import sparkcnn.jobs.sweep.PrefixedLog;
import sparkcnn.jobs.sweep.RunToEnd;
import sparkcnn.jobs.sweep.SweepReport;
import sparkcnn.jobs.sweep.TrialRecord;
import sparkcnn.jobs.sweep.TrialScheduler;

/**
 * One run of a sweep on a SparkContext: the trials' rungs as concurrent Spark jobs (a thread per running trial,
 * each in its own FAIR pool and job group), the scheduler fed each rung's validation metric on the driver
 * thread, results.json rewritten after every rung so that {@code --resume} can continue, then compound stage 2,
 * inference cost, Pareto fronts and the report.
 */
final class SweepRun {
  private final JavaSparkContext sc;
  private final SweepCommand.Plan plan;
  private final PrintStream log;
  private final List<TrialRecord> records = new ArrayList<>();
  /** [trial, rung, value of the sweep's metric] in the order the rungs finished: replayed by --resume. */
  private final List<List<Object>> events = new ArrayList<>();
  private boolean resuming;
  private Map<String, Object> previous;
  private TrialRecord chosen;
  private final long start = System.nanoTime();
  private double wallBefore;

  /** What a trial's thread hands back: the rung trained, the job's report or the error, the epoch curve. */
  private record Done(TrialScheduler.Work work, Map<String, Object> report, String error,
      List<Map<String, Object>> curve, double seconds) {}

  SweepRun(JavaSparkContext sc, SweepCommand.Plan plan, PrintStream log) {
    this.sc = sc;
    this.plan = plan;
    this.log = log;
    for (Candidate c : plan.space.candidates()) {
      records.add(plan.record(c));
    }
  }

  List<TrialRecord> records() {
    return records;
  }

  TrialRecord chosen() {
    return chosen;
  }

  /** Takes over what an interrupted run recorded: its finished rungs, in order, and its trials' figures. */
  @SuppressWarnings("unchecked")
  void restore(Map<String, Object> saved) {
    resuming = true;
    previous = saved;
    Object metric = saved.getOrDefault("metric", "validation_accuracy");
    if (!plan.metric.equals(metric)) {
      throw new IllegalArgumentException(plan.output + "/results.json: the sweep ranked on " + metric + " but the "
          + "sweep file now says metric: " + plan.metric + "; resume with the same metric, or choose another output");
    }
    List<Map<String, Object>> trials = (List<Map<String, Object>>) saved.get("trials");
    for (Map<String, Object> t : trials) {
      int index = ((Number) t.get("trial")).intValue();
      if (index >= records.size()) {
        continue; // stage 2: restored when stage 2 is planned
      }
      TrialRecord r = records.get(index);
      if (!r.candidate.label().equals(t.get("label"))) {
        throw new IllegalArgumentException(plan.output + "/results.json: trial " + index + " was '" + t.get("label")
            + "' but the sweep file now makes it '" + r.candidate.label() + "'; resume with the same sweep file "
            + "and --set options, or choose another output");
      }
      r.restore(t);
    }
    ((List<List<Object>>) saved.get("events")).forEach(e -> events.add(new ArrayList<>(e)));
    wallBefore = ((Number) ((Map<String, Object>) saved.get("compute")).get("wall_seconds")).doubleValue();
  }

  Map<String, Object> run() throws Exception {
    int stageOne = records.size();
    log.printf(Locale.ROOT, "sweep %s: %s search, %d %s of %s, scheduler %s (rungs at %s epochs), %d at a time%s%n",
        plan.name, plan.space.kind(), stageOne, plan.space.compound() ? "stage-1 candidates" : "trials", plan.base,
        plan.sweep.string("scheduler"), plan.rungEpochs, plan.sweep.integer("grid.concurrent"),
        resuming ? " (resumed)" : "");
    List<Integer> first = new ArrayList<>();
    for (int i = 0; i < stageOne; i++) {
      first.add(i);
    }
    train(first);
    List<TrialRecord> finished = records.stream().filter(r -> r.status.equals("finished")).toList();
    if (finished.isEmpty()) {
      throw new IllegalStateException("every trial failed (first: " + records.stream().filter(r -> r.error != null)
          .map(r -> r.error).findFirst().orElse("no error recorded") + ")");
    }
    chosen = SweepCommand.best(finished, plan.metric);
    log.printf(Locale.ROOT, "chosen on %s: trial %d (%s) %.4f%n", plan.metric.replace('_', ' '),
        chosen.candidate.index(), chosen.candidate.label(), chosen.metric(plan.metric));
    if (plan.space.compound()) {
      stageTwo();
    }
    SweepCommand.measureInference(sc, records, plan.sweep.number("latency_seconds"), log);
    SweepCommand.markPareto(records);
    Map<String, Object> report = save(true);
    return report;
  }

  /** Compound stage 2: the chosen configuration at the other phi values, each trained to the end. */
  @SuppressWarnings("unchecked")
  private void stageTwo() throws Exception {
    List<Candidate> scaled = plan.space.stageTwo(chosen.candidate, records.size());
    List<Integer> indices = new ArrayList<>();
    for (Candidate c : scaled) {
      TrialRecord r = plan.record(c);
      records.add(r);
      indices.add(c.index());
      if (previous != null) {
        for (Map<String, Object> t : (List<Map<String, Object>>) previous.get("trials")) {
          if (((Number) t.get("trial")).intValue() == c.index() && c.label().equals(t.get("label"))) {
            r.restore(t);
          }
        }
      }
    }
    log.printf(Locale.ROOT, "stage 2: trial %d's alpha %.3f beta %.3f gamma %.3f at phi %s%n",
        chosen.candidate.index(), chosen.candidate.alpha(), chosen.candidate.beta(), chosen.candidate.gamma(),
        plan.sweep.list("compound.phi"));
    train(indices);
  }

  /** Trains the given trials under the sweep's scheduler (stage 2: to the end), concurrently, until none is left. */
  private void train(List<Integer> trials) throws Exception {
    boolean stageTwo = !trials.isEmpty() && records.get(trials.get(0)).candidate.stage() == 2;
    TrialScheduler scheduler = stageTwo ? new RunToEnd(trials, plan.epochs)
        : plan.scheduler(trials);
    int top = scheduler.rungEpochs().size() - 1;
    for (List<Object> e : events) {
      int t = ((Number) e.get(0)).intValue();
      if (trials.contains(t)) {
        scheduler.reported(t, ((Number) e.get(1)).intValue(), TrialRecord.score(plan.metric,
            ((Number) e.get(2)).doubleValue()));
      }
    }
    int concurrent = (int) plan.sweep.integer("grid.concurrent");
    ExecutorService pool = Executors.newFixedThreadPool(concurrent, r -> {
      Thread t = new Thread(r, "sweep-trial");
      t.setDaemon(true);
      return t;
    });
    CompletionService<Done> done = new ExecutorCompletionService<>(pool);
    int running = 0;
    try {
      while (true) {
        TrialScheduler.Work w;
        while (running < concurrent && (w = scheduler.next()) != null) {
          TrialScheduler.Work work = w;
          TrialRecord r = records.get(work.trial());
          r.status = "running";
          log.printf(Locale.ROOT, "%s: %s to epoch %d (rung %d of %d): %s%n", SweepCommand.trialName(work.trial()),
              work.rung() == 0 ? "training" : "promoted, resuming", work.epochs(), work.rung() + 1, top + 1,
              r.candidate.label());
          done.submit(() -> trainRung(work));
          running++;
        }
        if (running == 0) {
          break;
        }
        Done d = done.take().get();
        running--;
        record(d, top);
        if (d.error() != null) {
          scheduler.failed(d.work().trial());
        } else {
          scheduler.reported(d.work().trial(), d.work().rung(),
              TrialRecord.score(plan.metric, records.get(d.work().trial()).metric(plan.metric)));
        }
        save(false);
      }
    } finally {
      pool.shutdownNow();
    }
    for (int t : trials) {
      TrialRecord r = records.get(t);
      // Paused between rungs, or (resumed) interrupted on the way to a rung the scheduler no longer gives it.
      if (r.status.equals("paused") || r.status.equals("running")) {
        r.status = r.rungs.isEmpty() ? "pending" : "stopped";
      }
    }
  }

  /** In a trial's thread: one rung as a Spark job group in the trial's own FAIR pool. Never throws. */
  private Done trainRung(TrialScheduler.Work w) {
    String name = SweepCommand.trialName(w.trial());
    Candidate c = records.get(w.trial()).candidate;
    sc.setLocalProperty("spark.scheduler.pool", name);
    sc.setJobGroup(name, "sweep " + plan.name + " " + name + " rung " + (w.rung() + 1) + ": " + c.label(), false);
    long t0 = System.nanoTime();
    try {
      TrainJob job = plan.job(c);
      PrintStream trialLog = PrefixedLog.of(log, "[" + name + "] ");
      boolean resume = resuming || w.rung() > 0;
      Map<String, Object> report = JobRun.run(sc, job, resume, w.epochs() < plan.epochs ? w.epochs() : 0, trialLog);
      return new Done(w, report, null, curve((String) report.get("metrics")), (System.nanoTime() - t0) / 1e9);
    } catch (Exception | Error e) {
      return new Done(w, null, Main.rootMessage(e), null, (System.nanoTime() - t0) / 1e9);
    } finally {
      sc.clearJobGroup();
      sc.setLocalProperty("spark.scheduler.pool", null);
    }
  }

  /** The per-epoch validation figures of a trial's metrics.jsonl (a resumed run's include the earlier epochs). */
  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> curve(String metrics) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String line : new String(HadoopFiles.readAll(metrics, sc.hadoopConfiguration()), StandardCharsets.UTF_8)
        .split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      Map<String, Object> m = (Map<String, Object>) sparkcnn.models.Json.read(line);
      if ("epoch".equals(m.get("kind")) && m.containsKey("validation_accuracy")) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("epoch", m.get("epoch"));
        p.put("validation_accuracy", m.get("validation_accuracy"));
        p.put("validation_loss", m.get("validation_loss"));
        p.put("train_loss", m.get("train_loss"));
        out.add(p);
      }
    }
    return out;
  }

  /** Folds a finished rung (or a failure) into the trial's record, on the driver thread. */
  private void record(Done d, int top) {
    TrialRecord r = records.get(d.work().trial());
    r.seconds += d.seconds();
    String name = SweepCommand.trialName(d.work().trial());
    if (d.error() != null) {
      r.status = "failed";
      r.error = d.error();
      log.printf(Locale.ROOT, "%s failed: %s (the sweep goes on)%n", name, d.error());
      return;
    }
    Map<String, Object> rep = d.report();
    long steps = ((Number) rep.get("steps")).longValue();
    long from = rep.containsKey("resumed_from_step") ? ((Number) rep.get("resumed_from_step")).longValue() : 0;
    r.trainImages += (steps - from) * plan.job(r.candidate).config.globalBatch;
    r.error = null;
    r.checkpoint = (String) rep.get("checkpoint");
    r.curve = d.curve();
    Map<String, Object> rung = new LinkedHashMap<>();
    rung.put("rung", d.work().rung());
    rung.put("epochs", d.work().epochs());
    // As results.json keeps them (6 digits): a resumed sweep ranks restored and new trials alike.
    rung.put("validation_accuracy", TrialRecord.rounded((Double) rep.get("validation_accuracy")));
    rung.put("validation_loss", TrialRecord.rounded((Double) rep.get("validation_loss")));
    r.rungs.removeIf(x -> ((Number) x.get("rung")).intValue() >= d.work().rung());
    r.rungs.add(rung);
    events.add(List.of(d.work().trial(), d.work().rung(), rung.get(plan.metric)));
    if (d.work().rung() == top) {
      r.status = "finished";
      r.testAccuracy = (Double) rep.get("test_accuracy");
      r.testLoss = (Double) rep.get("test_loss");
    } else {
      r.status = "paused";
    }
    log.printf(Locale.ROOT, "%s: rung %d (epoch %d) validation accuracy %.4f, loss %.4f%s%n", name,
        d.work().rung() + 1, d.work().epochs(), r.validationAccuracy(), r.validationLoss(),
        r.testAccuracy != null && r.status.equals("finished") ? String.format(Locale.ROOT,
        ", test accuracy %.4f (reported, not used to choose)", r.testAccuracy) : "");
  }

  /** Writes results.json (and, at the end, results.csv and report.html); returns the report. */
  private Map<String, Object> save(boolean last) throws IOException {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("sweep", plan.file);
    report.put("name", plan.name);
    report.put("base", plan.base);
    report.put("search", plan.space.kind());
    report.put("scheduler", plan.sweep.string("scheduler"));
    report.put("rung_epochs", plan.rungEpochs);
    report.put("eta", plan.sweep.string("scheduler").equals("none") ? null : plan.sweep.integer("halving.eta"));
    report.put("metric", plan.metric);
    report.put("concurrent", plan.sweep.integer("grid.concurrent"));
    report.put("complete", last);
    report.put("chosen", chosen == null ? null : chosen.candidate.index());
    long images = 0;
    double macs = 0;
    double seconds = 0;
    for (TrialRecord r : records) {
      images += r.trainImages;
      macs += r.trainMacs();
      seconds += r.seconds;
    }
    Map<String, Object> compute = new LinkedHashMap<>();
    compute.put("train_images", images);
    compute.put("train_macs", macs);
    compute.put("trial_seconds", seconds);
    compute.put("wall_seconds", wallBefore + (System.nanoTime() - start) / 1e9);
    report.put("compute", compute);
    List<Map<String, Object>> trials = new ArrayList<>();
    records.forEach(r -> trials.add(r.toMap()));
    report.put("trials", trials);
    report.put("events", events);
    HadoopFiles.write(plan.output + "/results.json", sc.hadoopConfiguration(),
        SweepReport.json(report).getBytes(StandardCharsets.UTF_8));
    if (last) {
      HadoopFiles.write(plan.output + "/results.csv", sc.hadoopConfiguration(),
          SweepReport.csv(records).getBytes(StandardCharsets.UTF_8));
      HadoopFiles.write(plan.output + "/report.html", sc.hadoopConfiguration(),
          SweepReport.html(report).getBytes(StandardCharsets.UTF_8));
    }
    return report;
  }
}
