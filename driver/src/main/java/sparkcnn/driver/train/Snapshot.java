package sparkcnn.driver.train;

/**
 * The model as broadcast at the start of a step: parameters, batch-norm state and (when syncing every K steps)
 * optimizer state, with the step it belongs to. A plain class for Kryo.
 */
public final class Snapshot {
  public long step;
  public float[] params;
  public float[] state;
  public float[][] optimizerState;

  public Snapshot() {}

  public Snapshot(long step, float[] params, float[] state, float[][] optimizerState) {
    this.step = step;
    this.params = params;
    this.state = state;
    this.optimizerState = optimizerState;
  }
}
