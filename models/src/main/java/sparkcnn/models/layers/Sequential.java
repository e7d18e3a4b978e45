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

  /** For graph rewrites after binding ({@link InferenceGraph}): the replacement must hold no parameters. */
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

  @Override
  public Tensor forward(Tensor x, boolean training) {
    for (Layer l : layers) {
      x = l.forward(x, training);
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
