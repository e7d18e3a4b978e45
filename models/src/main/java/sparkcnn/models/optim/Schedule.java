package sparkcnn.models.optim;

import java.util.Arrays;

/** The learning rate as a function of the step (0-based). */
@FunctionalInterface
public interface Schedule {
  float lr(long step);

  static Schedule constant(float lr) {
    return step -> lr;
  }

  /** lr gamma^(step / every). */
  static Schedule step(float lr, long every, float gamma) {
    return step -> (float) (lr * Math.pow(gamma, step / every));
  }

  /** lr gamma^(number of milestones passed). */
  static Schedule multiStep(float lr, long[] milestones, float gamma) {
    long[] sorted = milestones.clone();
    Arrays.sort(sorted);
    return step -> {
      int passed = 0;
      while (passed < sorted.length && step >= sorted[passed]) {
        passed++;
      }
      return (float) (lr * Math.pow(gamma, passed));
    };
  }

  /** Cosine annealing from lr to min over total steps, then min. */
  static Schedule cosine(float lr, long total, float min) {
    return step -> step >= total ? min : (float) (min + (lr - min) * 0.5 * (1 + Math.cos(Math.PI * step / total)));
  }

  /** Linear warm-up from lr / warmup to the schedule's value over the first warmup steps. */
  default Schedule withWarmup(long warmup) {
    return step -> step < warmup ? lr(step) * (step + 1) / (float) warmup : lr(step);
  }
}
