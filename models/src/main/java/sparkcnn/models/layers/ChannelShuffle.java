package sparkcnn.models.layers;

import sparkcnn.kernels.ChannelOps;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/** ShuffleNet's channel shuffle between grouped convolutions; backward applies the inverse permutation. */
public final class ChannelShuffle implements Layer {
  private final int groups;
  private Tensor y;
  private Tensor dx;

  public ChannelShuffle(int groups) {
    if (groups <= 0) {
      throw new IllegalArgumentException("channel shuffle: groups must be positive, got " + groups);
    }
    this.groups = groups;
  }

  @Override
  public int[] outputShape(int[] in) {
    Shapes.image(describe(), in, 0);
    if (in[1] % groups != 0) {
      throw new IllegalArgumentException(describe() + ": " + groups + " groups must divide " + in[1] + " channels");
    }
    return in.clone();
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    outputShape(x.shape());
    y = Buffers.ensure(y, x.shape());
    ChannelOps.shuffle(x.data, x.offset, y.data, y.offset, x.dim(0), x.dim(1), x.dim(2) * x.dim(3), groups);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, dy.shape());
    ChannelOps.unshuffle(dy.data, dy.offset, dx.data, dx.offset, dy.dim(0), dy.dim(1), dy.dim(2) * dy.dim(3), groups);
    return dx;
  }

  @Override
  public String describe() {
    return "channel shuffle " + groups;
  }
}
