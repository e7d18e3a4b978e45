package sparkcnn.models;

/** Receives every leaf layer of a network in forward order with its input and output shapes (no data flows). */
@FunctionalInterface
public interface Tracer {
  void leaf(Layer layer, int[] in, int[] out);
}
