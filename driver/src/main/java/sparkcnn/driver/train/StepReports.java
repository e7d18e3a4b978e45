package sparkcnn.driver.train;

/** A StepReport as 12 doubles, for the progress socket and task results (nanosecond counts fit in 53 bits). */
final class StepReports {
  static final int LENGTH = 12;

  private StepReports() {}

  static double[] encode(StepReport r) {
    return new double[] {r.step(), r.loss(), r.accuracy(), r.samples(), r.lr(), r.wallNanos(), r.computeNanos(),
        r.tasks(), r.broadcastNanos(), r.jobNanos(), r.applyNanos(), r.slowestTaskNanos()};
  }

  static StepReport decode(double[] a) {
    return new StepReport((long) a[0], a[1], a[2], (long) a[3], (float) a[4], (long) a[5], (long) a[6], (int) a[7],
        (long) a[8], (long) a[9], (long) a[10], (long) a[11]);
  }
}
