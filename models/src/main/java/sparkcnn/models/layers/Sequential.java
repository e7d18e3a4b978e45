package sparkcnn.models.layers;

import java.util.List;
import java.util.SplittableRandom;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Binder;
import sparkcnn.models.Layer;

/** Layers one after another; backward runs them in reverse. */
public final class Sequential implements Layer {
  private final List<Layer> layers;

  public Sequential(List<Layer> layers) {
    this.layers = List.copyOf(layers);
  }

  public static Sequential of(Layer... layers) {
    return new Sequential(List.of(layers));
  }

  public List<Layer> layers() {
    return layers;
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
  public int paramCount() {
    return layers.stream().mapToInt(Layer::paramCount).sum();
  }

  @Override
  public int stateCount() {
    return layers.stream().mapToInt(Layer::stateCount).sum();
  }

  @Override
  public void bind(Binder b) {
    layers.forEach(l -> l.bind(b));
  }

  @Override
  public void init(SplittableRandom rnd) {
    layers.forEach(l -> l.init(rnd));
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

  @Override
  public String describe() {
    return "sequential of " + layers.size();
  }
}
