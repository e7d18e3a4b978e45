package sparkcnn.driver.collective;

/**
 * How far backward has got this step: elements [from, L) of the reduced vector are final. The compute thread
 * lowers it as layers finish; the ring's thread waits on it bucket by bucket. abort() releases a waiting ring
 * when the compute thread fails, so the failure is what ends the task, not a hang.
 */
public final class ReadyMark {
  private int from = Integer.MAX_VALUE;
  private boolean aborted;

  /** A mark that says everything is ready (no overlap: the vector was complete before the ring started). */
  public static ReadyMark complete() {
    ReadyMark m = new ReadyMark();
    m.set(0);
    return m;
  }

  public synchronized void reset() {
    from = Integer.MAX_VALUE;
    aborted = false;
  }

  /** Elements from this offset on are final (only ever lowers the mark). */
  public synchronized void set(int offset) {
    if (offset < from) {
      from = offset;
      notifyAll();
    }
  }

  public synchronized void abort() {
    aborted = true;
    notifyAll();
  }

  /** Waits until elements from lo on are final; false if the step was aborted. */
  public synchronized boolean await(int lo) throws InterruptedException {
    while (from > lo && !aborted) {
      wait();
    }
    return !aborted;
  }
}
