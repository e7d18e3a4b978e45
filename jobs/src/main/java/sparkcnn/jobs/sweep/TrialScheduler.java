package sparkcnn.jobs.sweep;

import java.util.List;

/**
 * Decides which trial trains next and how far. Trials train in rungs: rung k ends after {@link #rungEpochs()}[k]
 * epochs (the last rung is the full budget); a trial continuing to the next rung resumes from its own checkpoint.
 * Not thread-safe: the sweep's driver thread alone asks and reports.
 */
public interface TrialScheduler {
  /** Train trial to the end of rung (epochs in all). */
  record Work(int trial, int rung, int epochs) {}

  /** The next work to start, or null when none can start now (more may once running work reports). */
  Work next();

  /** A trial finished a rung with this validation metric (higher is better). */
  void reported(int trial, int rung, double metric);

  /** A trial failed; it takes no further part. */
  void failed(int trial);

  /** Epochs at the end of each rung, increasing; the last is the full budget. */
  List<Integer> rungEpochs();
}
