package sparkcnn.driver.train;

/**
 * A local-SGD round's result summed over partitions, to be averaged by the driver: parameters, batch-norm state
 * and optimizer state after each replica's K local steps, with the round's counts. A plain class for Kryo.
 */
public final class ParameterSum implements Summable<ParameterSum>, java.io.Serializable {
  public float[] params;
  public float[] state;
  public float[][] optimizerState;
  public StepCounts counts = new StepCounts();

  @Override
  public ParameterSum plus(ParameterSum o) {
    params = Summable.add(params, o.params);
    state = Summable.add(state, o.state);
    if (o.optimizerState != null) {
      if (optimizerState == null) {
        optimizerState = o.optimizerState;
      } else {
        for (int i = 0; i < optimizerState.length; i++) {
          optimizerState[i] = Summable.add(optimizerState[i], o.optimizerState[i]);
        }
      }
    }
    counts.plus(o.counts);
    return this;
  }
}
