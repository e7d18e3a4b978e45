package sparkcnn.models.layers;

import sparkcnn.kernels.PoolKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/** (N, C, H, W) to (N, C): the mean of each channel (Network-in-Network's head, every modern classifier's). */
public final class GlobalAvgPool implements Layer {
  private int[] in;
  private Tensor y;
  private Tensor dx;

  @Override
  public int[] outputShape(int[] shape) {
    Shapes.image(describe(), shape, 0);
    return new int[] {shape[0], shape[1]};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    in = x.shape();
    y = Buffers.ensure(y, outputShape(in));
    PoolKernels.globalAvgForward(x.data, x.offset, y.data, y.offset, in[0], in[1], in[2] * in[3]);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, in);
    PoolKernels.globalAvgBackward(dy.data, dy.offset, dx.data, dx.offset, in[0], in[1], in[2] * in[3]);
    return dx;
  }

  @Override
  public String describe() {
    return "global avg pool";
  }
}
