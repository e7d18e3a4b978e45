package sparkcnn.models.layers;

import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;

/** y = x: the pass-through branch of a concat (a U-Net skip, DenseNet's running features). */
public final class Identity implements Layer {
  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    return x;
  }

  @Override
  public Tensor backward(Tensor dy) {
    return dy;
  }

  @Override
  public String describe() {
    return "identity";
  }
}
