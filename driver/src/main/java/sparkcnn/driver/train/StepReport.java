package sparkcnn.driver.train;

/**
 * What a step (or a local-SGD round of K steps) did, with its timing split: wall time, mean and slowest task
 * compute (forward and backward), and the parts outside compute (broadcast, Spark job, driver-side apply for the
 * broadcast trainer; for the collective one, broadcast and job are zero and apply is the ring and the optimizer).
 */
public record StepReport(long step, double loss, double accuracy, long samples, float lr, long wallNanos,
    long computeNanos, int tasks, long broadcastNanos, long jobNanos, long applyNanos, long slowestTaskNanos) {}
