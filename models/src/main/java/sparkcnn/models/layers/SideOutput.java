package sparkcnn.models.layers;

import java.util.List;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Elementwise;
import sparkcnn.models.Layer;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.Tracer;

/**
 * An auxiliary classifier hanging off the main path (GoogLeNet's two side heads): in training it runs its head
 * on the activation passing by and keeps the logits, which {@link sparkcnn.models.Objective} adds to the loss
 * with {@link #weight()}; the main path goes through unchanged. At inference the head does not run. Backward
 * adds the head's input gradient to the main path's.
 */
public final class SideOutput implements Layer {
  private final Layer head;
  private final float weight;
  private Tensor logits;
  private Tensor pending;
  private Tensor dx;

  public SideOutput(Layer head, float weight) {
    if (!(weight > 0f)) {
      throw new IllegalArgumentException("side output: the loss weight must be positive, got " + weight);
    }
    this.head = head;
    this.weight = weight;
  }

  public float weight() {
    return weight;
  }

  /** The head's logits from the last training forward, or null after an inference forward. */
  public Tensor logits() {
    return logits;
  }

  /** dL/d(logits) of the side loss, weight included; consumed by the next backward. */
  public void setLogitsGradient(Tensor dLogits) {
    pending = dLogits;
  }

  @Override
  public List<Layer> children() {
    return List.of(head);
  }

  @Override
  public int[] outputShape(int[] in) {
    head.outputShape(in);
    return in.clone();
  }

  @Override
  public ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    head.trace(in, field, tracer);
    return field;
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    logits = training ? head.forward(x, true) : null;
    pending = null;
    return x;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (pending == null) {
      return dy;
    }
    Tensor viaHead = head.backward(pending);
    pending = null;
    dx = Buffers.ensure(dx, dy.shape());
    Elementwise.sum(dy, viaHead, dx);
    return dx;
  }

  @Override
  public String describe() {
    return "side output (loss weight " + weight + ")";
  }
}
