package sparkcnn.jobs.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The Pareto front of a set of trials: those no other trial beats on both cost (lower) and accuracy (higher). */
public final class ParetoFront {
  private ParetoFront() {}

  /** The items on the front, by increasing cost; items whose cost or accuracy is not a number take no part. */
  public static <T> List<T> of(List<T> items, ToDoubleFunction<T> cost, ToDoubleFunction<T> accuracy) {
    List<T> sorted = new ArrayList<>();
    for (T t : items) {
      if (Double.isFinite(cost.applyAsDouble(t)) && Double.isFinite(accuracy.applyAsDouble(t))) {
        sorted.add(t);
      }
    }
    sorted.sort(Comparator.comparingDouble(cost).thenComparing(Comparator.comparingDouble(accuracy).reversed()));
    List<T> front = new ArrayList<>();
    double best = Double.NEGATIVE_INFINITY;
    for (T t : sorted) {
      if (accuracy.applyAsDouble(t) > best) {
        front.add(t);
        best = accuracy.applyAsDouble(t);
      }
    }
    return front;
  }
}
