package sparkcnn.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import sparkcnn.kernels.ConvAlgorithm.Pass;

/**
 * Picks each convolution pass's algorithm by timing the candidates once per geometry, the way cuDNN's benchmark
 * mode does, and remembers the choice (per geometry, pass and thread count, for the life of the JVM).
 *
 * <p>Off by default: timings move with the load, so two runs could choose differently and differ in the last
 * bits, and resumed or distributed runs are promised bit-identical results. Turned on with
 * {@code -Dsparkcnn.tune=true} (or {@link #setEnabled}); {@code summary --algorithms} and {@code bench} call
 * {@link #tune} directly. When off, {@link ConvAlgorithm#heuristic} decides.
 */
public final class ConvTuner {
  /** A candidate's best time. */
  public record Timing(ConvAlgorithm algorithm, double seconds) {}

  /** What was measured for one geometry and pass, fastest first; chosen is what runs. */
  public record Choice(ConvAlgorithm chosen, List<Timing> timings) {}

  private record Key(ConvGeom geom, Pass pass, int threads) {}

  /** How a candidate is timed: seconds for one call of the pass, after whatever warm-up it needs. */
  @FunctionalInterface
  public interface Stopwatch {
    double seconds(ConvAlgorithm candidate, Runnable pass);
  }

  /** One warm-up call (JIT, scratch buffers), then the best of two timed calls. */
  public static final Stopwatch MEASURED = (candidate, pass) -> {
    pass.run();
    double best = Double.MAX_VALUE;
    for (int i = 0; i < 2; i++) {
      long t0 = System.nanoTime();
      pass.run();
      best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
    }
    return best;
  };

  /** Another algorithm must beat the heuristic by this factor to replace it: noise should not flip choices. */
  private static final double MARGIN = 0.9;

  private static volatile boolean enabled = Boolean.getBoolean("sparkcnn.tune");
  private static final Map<Key, Choice> CHOICES = new ConcurrentHashMap<>();

  private ConvTuner() {}

  public static boolean enabled() {
    return enabled;
  }

  public static void setEnabled(boolean on) {
    enabled = on;
  }

  /** The algorithm a pass runs with: measured when tuning is on, the heuristic otherwise. */
  public static ConvAlgorithm choose(ConvGeom g, Pass pass) {
    return enabled ? tune(g, pass).chosen() : ConvAlgorithm.heuristic(g, pass);
  }

  /** Times every algorithm that supports the pass (once per geometry, pass and thread count) and keeps the fastest. */
  public static Choice tune(ConvGeom g, Pass pass) {
    return CHOICES.computeIfAbsent(new Key(g, pass, Parallel.threads()), k -> choose(g, pass, MEASURED));
  }

  /** The choice the given stopwatch's times make (nothing remembered): tests drive it with made-up times. */
  public static Choice choose(ConvGeom g, Pass pass, Stopwatch stopwatch) {
    ConvAlgorithm fallback = ConvAlgorithm.heuristic(g, pass);
    List<ConvAlgorithm> candidates = new ArrayList<>();
    for (ConvAlgorithm a : ConvAlgorithm.values()) {
      if (a.supports(g, pass)) {
        candidates.add(a);
      }
    }
    if (candidates.size() == 1) {
      return new Choice(fallback, List.of(new Timing(fallback, Double.NaN)));
    }
    // Private operands (backward-weights accumulates, and nothing of the caller's may change), zeros: these
    // kernels take the same time whatever the values, and zeroed arrays cost nothing to fill.
    float[] x = new float[g.inputSize()];
    float[] w = new float[g.weightSize()];
    float[] y = new float[g.outputSize()];
    float[] dw = new float[g.weightSize()];
    List<Timing> timings = new ArrayList<>();
    for (ConvAlgorithm a : candidates) {
      Runnable run = switch (pass) {
        case FORWARD -> () -> Conv2dKernels.forward(x, 0, w, 0, null, 0, y, 0, g, a);
        case BACKWARD_DATA -> () -> Conv2dKernels.backwardInput(y, 0, w, 0, x, 0, g, a);
        case BACKWARD_WEIGHTS -> () -> Conv2dKernels.backwardWeights(x, 0, y, 0, dw, 0, g, a);
      };
      timings.add(new Timing(a, stopwatch.seconds(a, run)));
    }
    timings.sort((p, q) -> Double.compare(p.seconds(), q.seconds()));
    double heuristicTime = timings.stream().filter(t -> t.algorithm() == fallback).findFirst().orElseThrow().seconds();
    ConvAlgorithm fastest = timings.get(0).algorithm();
    ConvAlgorithm chosen = timings.get(0).seconds() < MARGIN * heuristicTime ? fastest : fallback;
    return new Choice(chosen, List.copyOf(timings));
  }
}
