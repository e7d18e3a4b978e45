package sparkcnn.kernels.bench;

/** Keeps a benchmark's result observable so the JIT cannot delete the work that produced it. */
final class Blackhole {
  static volatile float sink;

  private Blackhole() {}

  static void consume(float v) {
    sink = v;
  }
}
