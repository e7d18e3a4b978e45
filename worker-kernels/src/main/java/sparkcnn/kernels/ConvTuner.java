package sparkcnn.kernels;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
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

  /**
   * A candidate is timed once the JIT has gone quiet: the JVM's compilation clock (milliseconds spent compiling) has
   * not moved during the last {@link #QUIET_NANOS} and at least three of its calls. The JIT compiles a kernel's loops in tiers (C1, then C2)
   * after thousands of iterations each, and on two busy cores its queue holds them back further: a candidate timed
   * at its first calls was measured in the interpreter or in C1 (on EfficientNet-B0's layers at 64x64, up to 150
   * times its compiled time), so which algorithm won depended on which kernels earlier layers had compiled. A
   * compilation elsewhere only delays the timing, bounded by {@link #WARM_UP_MAX_NANOS}; one that takes longer than
   * the quiet window looks quiet until it ends (a known miss: a depthwise forward timed at 28.7 ms, 0.46 ms later).
   */
  private static final long QUIET_NANOS = 15_000_000L;
  private static final long WARM_UP_MAX_NANOS = 2_000_000_000L;
  /** Timed calls: for at least this long, and at least twice; the best counts (interference only slows down). */
  private static final long TIMED_NANOS = 10_000_000L;

  /** Warmed up until the JIT is quiet (see {@link #QUIET_NANOS}), then the best of the timed calls. */
  public static final Stopwatch MEASURED = settling(ConvTuner::compilationMillis);

  /**
   * The stopwatch that warms a candidate up until jitClock (milliseconds the JIT has spent compiling, or any count
   * that moves while it compiles) has stood still for {@link #QUIET_NANOS} and three calls.
   */
  static Stopwatch settling(LongSupplier jitClock) {
    return settling(jitClock, System::nanoTime);
  }

  /** {@link #settling(LongSupplier)} on the given nanosecond clock (tests drive both clocks by hand). */
  static Stopwatch settling(LongSupplier jitClock, LongSupplier nanoClock) {
    return (candidate, pass) -> {
      long start = nanoClock.getAsLong();
      long quietSince = start;
      int quietCalls = 0;
      long compiled = jitClock.getAsLong();
      while (true) {
        pass.run();
        long now = nanoClock.getAsLong();
        long compiledNow = jitClock.getAsLong();
        if (compiledNow != compiled) {
          compiled = compiledNow;
          quietSince = now;
          quietCalls = 0;
        } else {
          quietCalls++;
        }
        if ((quietCalls >= 3 && now - quietSince >= QUIET_NANOS) || now - start >= WARM_UP_MAX_NANOS) {
          break;
        }
      }
      double best = Double.MAX_VALUE;
      long timing = nanoClock.getAsLong();
      for (int calls = 0; calls < 2 || nanoClock.getAsLong() - timing < TIMED_NANOS; calls++) {
        long t0 = nanoClock.getAsLong();
        pass.run();
        best = Math.min(best, (nanoClock.getAsLong() - t0) * 1e-9);
      }
      return best;
    };
  }

  private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

  /** Milliseconds the JIT has spent compiling in this JVM; 0 where the JVM does not say (then only time counts). */
  private static long compilationMillis() {
    return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0;
  }

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
