package sparkcnn.driver.train;

/**
 * What one rank returns at the end of a collective session: rank 0 the parameters and batch-norm state (every
 * rank holds the same after the last all-gather), every rank its shard of the optimizer state, and rank 0 the
 * session's step reports (also streamed to the driver while the session runs). A plain class for Kryo.
 */
public final class RankResult implements java.io.Serializable {
  public int rank;
  public float[] params;
  public float[] state;
  public float[][] optimizerShard;
  /** StepReports as {@link StepReports#encode} arrays. */
  public double[][] reports;
  /** The step (1-based) whose loss or gradient was not finite, which ended the session unapplied; -1: none. */
  public long badStep = -1;
  public double badLoss;
  /** The lowest parameter index whose gradient was not finite, or -1. */
  public int badParameter = -1;
}
