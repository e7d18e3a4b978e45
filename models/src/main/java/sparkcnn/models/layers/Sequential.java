package sparkcnn.models.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.Tracer;

/** Layers one after another; backward runs them in reverse. */
public final class Sequential implements Layer {
  private final List<Layer> layers;

  public Sequential(List<Layer> layers) {
    this.layers = new ArrayList<>(layers);
  }

  public static Sequential of(Layer... layers) {
    return new Sequential(List.of(layers));
  }

  @Override
  public int[] outputShape(int[] in) {
    int[] s = in;
    for (Layer l : layers) {
      s = l.outputShape(s);
    }
    return s;
  }

  @Override
  public List<Layer> children() {
    return Collections.unmodifiableList(layers);
  }

  /**
   * For graph rewrites after binding ({@link InferenceGraph}): the replacement must take no parameters of its own
   * (it may hold layers already bound).
   */
  void replace(int index, Layer layer) {
    layers.set(index, layer);
  }

  @Override
  public ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    int[] s = in;
    for (Layer l : layers) {
      field = l.trace(s, field, tracer);
      s = l.outputShape(s);
    }
    return field;
  }

  /**
   * In training, a batch norm followed by an activation whose derivative comes from its input (ReLU, ReLU6, SiLU)
   * runs as one layer: the norm applies the activation in its normalizing pass and, in backward, recomputes the
   * activation's input from its own input and takes the derivative inside its two passes. That saves the
   * activation's passes over memory (two forward, three backward) and its buffers; the floats are the same
   * (up to SiLU's scalar tails, which fall at other positions: a few ulps). In evaluation, a batch norm followed
   * by any activation runs as one pass the same way (the norms the inference graph leaves unfolded: those that no
   * convolution directly precedes in the same sequence).
   */
  @Override
  public Tensor forward(Tensor x, boolean training) {
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      if (l instanceof BatchNorm2d bn && i + 1 < layers.size() && layers.get(i + 1) instanceof Activation act
          && (!training || act.fn().backwardFromInput())) {
        x = bn.forward(x, training, act.fn());
        act.absorb();
        i++;
      } else {
        x = l.forward(x, training);
      }
    }
    return x;
  }

  @Override
  public Tensor backward(Tensor dy) {
    for (int i = layers.size() - 1; i >= 0; i--) {
      dy = layers.get(i).backward(dy);
    }
    return dy;
  }

  /** Backward through the layers from the last down to layer first only: the gradient at that layer's input. */
  public Tensor backwardDownTo(Tensor dy, int first) {
    for (int i = layers.size() - 1; i >= first; i--) {
      dy = layers.get(i).backward(dy);
    }
    return dy;
  }

  /** Backward that tells finished(child) after each child (nested sequentials report their own children). */
  public Tensor backward(Tensor dy, java.util.function.Consumer<Layer> finished) {
    for (int i = layers.size() - 1; i >= 0; i--) {
      Layer l = layers.get(i);
      dy = l instanceof Sequential s ? s.backward(dy, finished) : l.backward(dy);
      finished.accept(l);
    }
    return dy;
  }

  @Override
  public String describe() {
    return "sequential of " + layers.size();
  }
}
