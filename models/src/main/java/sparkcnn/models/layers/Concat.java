package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.List;
import sparkcnn.kernels.ChannelOps;
import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Elementwise;
import sparkcnn.models.Layer;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.Tracer;

/**
 * Parallel branches on the same input, joined along channels: Inception's 1x1 / 3x3 / 5x5 / pool branches,
 * DenseNet's [features, new features], U-Net's [skip, upsampled]. Backward splits dy by channels, runs each
 * branch's backward and sums their input gradients.
 */
public final class Concat implements Layer {
  private final List<Layer> branches;
  private Tensor[] outs;
  private int[] channels;
  private Tensor y;
  private Tensor dx;
  private Tensor[] parts;

  public Concat(List<Layer> branches) {
    if (branches.isEmpty()) {
      throw new IllegalArgumentException("concat: needs at least one branch");
    }
    this.branches = List.copyOf(branches);
  }

  public static Concat of(Layer... branches) {
    return new Concat(List.of(branches));
  }

  @Override
  public int[] outputShape(int[] in) {
    int[] first = null;
    int c = 0;
    for (Layer b : branches) {
      int[] s = b.outputShape(in);
      if (first == null) {
        first = s;
      } else if (s.length != 4 || s[0] != first[0] || s[2] != first[2] || s[3] != first[3]) {
        throw new IllegalArgumentException("concat: branch outputs " + Shape.show(first) + " and " + Shape.show(s)
            + " differ in batch or spatial size");
      }
      c += s[1];
    }
    return new int[] {first[0], c, first[2], first[3]};
  }

  @Override
  public List<Layer> children() {
    return branches;
  }

  @Override
  public ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    ReceptiveField widest = field;
    for (Layer b : branches) {
      widest = widest.max(b.trace(in, field, tracer));
    }
    return widest;
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    int k = branches.size();
    outs = new Tensor[k];
    channels = new int[k];
    float[][] arrays = new float[k][];
    int[] offs = new int[k];
    for (int i = 0; i < k; i++) {
      outs[i] = branches.get(i).forward(x, training);
      channels[i] = outs[i].dim(1);
      arrays[i] = outs[i].data;
      offs[i] = outs[i].offset;
    }
    int[] shape = outs[0].shape();
    shape[1] = Arrays.stream(channels).sum();
    y = Buffers.ensure(y, shape);
    ChannelOps.concat(arrays, offs, channels, shape[0], shape[2] * shape[3], y.data, y.offset);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    int k = branches.size();
    if (parts == null || parts.length != k) {
      parts = new Tensor[k];
    }
    float[][] arrays = new float[k][];
    int[] offs = new int[k];
    for (int i = 0; i < k; i++) {
      parts[i] = Buffers.ensure(parts[i], outs[i].shape());
      arrays[i] = parts[i].data;
      offs[i] = parts[i].offset;
    }
    ChannelOps.split(dy.data, dy.offset, dy.dim(0), dy.dim(2) * dy.dim(3), arrays, offs, channels);
    for (int i = 0; i < k; i++) {
      Tensor d = branches.get(i).backward(parts[i]);
      if (i == 0) {
        dx = Buffers.ensure(dx, d.shape());
        System.arraycopy(d.data, d.offset, dx.data, dx.offset, dx.size());
      } else {
        Elementwise.addInto(dx, d);
      }
    }
    return dx;
  }

  @Override
  public String describe() {
    return "concat of " + branches.size() + " branches";
  }
}
