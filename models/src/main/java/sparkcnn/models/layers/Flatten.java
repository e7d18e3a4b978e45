package sparkcnn.models.layers;

import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/** (N, ...) to (N, rest): a view of the same floats, no copy. */
public final class Flatten implements Layer {
  private int[] in;

  @Override
  public int[] outputShape(int[] shape) {
    return new int[] {shape[0], Shapes.perSample(shape)};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    in = x.shape();
    return x.reshape(outputShape(in));
  }

  @Override
  public Tensor backward(Tensor dy) {
    return dy.reshape(in);
  }

  @Override
  public String describe() {
    return "flatten";
  }
}
