package sparkcnn.jobs.sweep;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** {@code scheduler: none}: every trial trains its full budget in one rung, in index order. */
public final class RunToEnd implements TrialScheduler {
  private final List<Integer> trials;
  private final int epochs;
  private final Set<Integer> started = new LinkedHashSet<>();

  public RunToEnd(List<Integer> trials, int epochs) {
    this.trials = new ArrayList<>(trials);
    this.epochs = epochs;
  }

  @Override
  public Work next() {
    for (int t : trials) {
      if (started.add(t)) {
        return new Work(t, 0, epochs);
      }
    }
    return null;
  }

  @Override
  public void reported(int trial, int rung, double metric) {
    started.add(trial);
  }

  @Override
  public void failed(int trial) {
    started.add(trial);
  }

  @Override
  public List<Integer> rungEpochs() {
    return List.of(epochs);
  }
}
