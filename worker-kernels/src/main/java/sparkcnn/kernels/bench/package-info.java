/**
 * {@code bin/sparkcnn bench}: measured throughput of the kernels as ratios to baselines timed in the same run
 * (the core's own FMA peak, a naive loop). Benchmarks, not tests.
 */
package sparkcnn.kernels.bench;
