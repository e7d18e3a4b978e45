package sparkcnn.models;

/**
 * A network too large for this JVM's heap or for a Java array, refused before its arrays are allocated (see
 * {@link Model} and the layers' weight counts). Its own type so that callers which read other argument errors as
 * a bad input size (the zoo's builder) pass it on as it is. The message ends with what to change.
 */
public final class ModelTooLarge extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  /** The network (or layer) and its size, without the advice. */
  private final String what;
  /** Whether a larger heap would do (not for a count past what a Java array holds). */
  private final boolean heapHelps;

  private ModelTooLarge(String what, boolean heapHelps) {
    super(what + ": choose a smaller network (width, depth, resolution, phi)" + (heapHelps ? " or a larger heap"
        + " (SPARKCNN_HEAP for bin/sparkcnn, spark.driver.memory / spark.executor.memory under spark-submit)" : ""));
    this.what = what;
    this.heapHelps = heapHelps;
  }

  /** what (the network and its size) does not fit this JVM's heap. */
  public static ModelTooLarge pastHeap(String what) {
    return new ModelTooLarge(what, true);
  }

  /** what (a network or layer and its size) is more than a Java array holds, on any heap. */
  public static ModelTooLarge pastArrays(String what) {
    return new ModelTooLarge(what + ", more than a Java array holds", false);
  }

  /** The same refusal naming the network it came from (a layer's does not know it). */
  public ModelTooLarge in(String network) {
    return what.startsWith(network + ":") ? this : new ModelTooLarge(network + ": " + what, heapHelps);
  }
}
