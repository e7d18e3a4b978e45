package sparkcnn.jobs.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code scheduler: successive_halving}, asynchronous as ASHA (Li et al., 2020, "A System for Massively Parallel
 * Hyperparameter Tuning", Algorithm 2): rungs end at min_epochs * eta^k epochs (the last at the full budget).
 * Whenever a worker is free, the highest rung with a trial among its top 1/eta (by validation metric, of the
 * trials that finished that rung so far) not yet promoted sends that trial on to the next rung; otherwise a new
 * trial starts at rung 0. Trials never promoted are stopped where they are. No trial waits for a rung to fill, so
 * concurrent workers never idle; with every trial done, each rung holds at least the top 1/eta of the one below.
 * A sweep has finitely many trials, so when nothing runs and nothing else can start while no trial has reached
 * the full budget (too few trials for eta, or failures), the best of the highest rung reached goes on: a sweep
 * always ends with a trial trained to the end.
 */
public final class SuccessiveHalving implements TrialScheduler {
  private final List<Integer> trials;
  private final List<Integer> rungs;
  private final int eta;
  /** Per rung: trial -> metric, in the order the trials finished it. */
  private final List<Map<Integer, Double>> results = new ArrayList<>();
  /** Per rung: the trials sent on from it. */
  private final List<Set<Integer>> promoted = new ArrayList<>();
  private final Set<Integer> started = new HashSet<>();
  private final Set<Integer> failed = new HashSet<>();
  private final Set<Integer> running = new HashSet<>();

  public SuccessiveHalving(List<Integer> trials, List<Integer> rungEpochs, int eta) {
    if (eta < 2) {
      throw new IllegalArgumentException("successive halving: eta must be at least 2, got " + eta);
    }
    this.trials = new ArrayList<>(trials);
    this.rungs = List.copyOf(rungEpochs);
    this.eta = eta;
    for (int k = 0; k < rungs.size(); k++) {
      results.add(new LinkedHashMap<>());
      promoted.add(new HashSet<>());
    }
  }

  /**
   * Rung ends for a budget of maxEpochs: minEpochs * eta^k below it, then maxEpochs; at most rungs of them
   * (0: as many as fit), the last always the full budget.
   */
  public static List<Integer> rungEpochs(int minEpochs, int eta, int rungs, int maxEpochs) {
    List<Integer> out = new ArrayList<>();
    for (long e = minEpochs; e < maxEpochs && (rungs == 0 || out.size() < rungs - 1); e *= eta) {
      out.add((int) e);
    }
    out.add(maxEpochs);
    return out;
  }

  @Override
  public Work next() {
    for (int k = rungs.size() - 2; k >= 0; k--) {
      for (int t : top(k)) {
        if (!promoted.get(k).contains(t) && !failed.contains(t)) {
          return promote(t, k);
        }
      }
    }
    for (int t : trials) {
      if (started.add(t)) {
        running.add(t);
        return new Work(t, 0, rungs.get(0));
      }
    }
    int last = rungs.size() - 1;
    if (running.isEmpty() && results.get(last).isEmpty()) {
      for (int k = last - 1; k >= 0; k--) {
        Set<Integer> gone = promoted.get(k);
        List<Integer> all = ranked(k, results.get(k).size());
        all.removeIf(t -> failed.contains(t) || gone.contains(t));
        if (!results.get(k).isEmpty()) {
          return all.isEmpty() ? null : promote(all.get(0), k);
        }
      }
    }
    return null;
  }

  private Work promote(int trial, int rung) {
    promoted.get(rung).add(trial);
    running.add(trial);
    return new Work(trial, rung + 1, rungs.get(rung + 1));
  }

  /** The best floor(n / eta) of the n trials that finished rung k; ties go to the lower trial index. */
  List<Integer> top(int k) {
    return ranked(k, results.get(k).size() / eta);
  }

  /** The best n trials of rung k, best first. */
  private List<Integer> ranked(int k, int n) {
    List<Map.Entry<Integer, Double>> done = new ArrayList<>(results.get(k).entrySet());
    done.sort(Comparator.comparing((Map.Entry<Integer, Double> e) -> -e.getValue())
        .thenComparing(Map.Entry::getKey));
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(done.get(i).getKey());
    }
    return out;
  }

  @Override
  public void reported(int trial, int rung, double metric) {
    started.add(trial);
    running.remove(trial);
    if (rung > 0) {
      promoted.get(rung - 1).add(trial); // a replayed report (sweep --resume) says the promotion happened
    }
    results.get(rung).put(trial, Double.isNaN(metric) ? Double.NEGATIVE_INFINITY : metric);
  }

  @Override
  public void failed(int trial) {
    started.add(trial);
    running.remove(trial);
    failed.add(trial);
  }

  @Override
  public List<Integer> rungEpochs() {
    return rungs;
  }
}
