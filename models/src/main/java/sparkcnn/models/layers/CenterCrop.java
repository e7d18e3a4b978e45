package sparkcnn.models.layers;

import sparkcnn.kernels.Shape;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;
import sparkcnn.models.Shapes;

/** Crops the centre h x w of each plane: the skip connections of the unpadded U-Net. */
public final class CenterCrop implements Layer {
  private final int h;
  private final int w;
  private int[] inShape;
  private Tensor y;
  private Tensor dx;

  public CenterCrop(int h, int w) {
    if (h <= 0 || w <= 0) {
      throw new IllegalArgumentException("center crop: size must be positive, got " + h + "x" + w);
    }
    this.h = h;
    this.w = w;
  }

  @Override
  public int[] outputShape(int[] in) {
    Shapes.image(describe(), in, 0);
    if (in[2] < h || in[3] < w) {
      throw new IllegalArgumentException(describe() + ": input " + Shape.show(in) + " is smaller than the crop");
    }
    return new int[] {in[0], in[1], h, w};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    inShape = x.shape();
    y = Buffers.ensure(y, outputShape(inShape));
    move(x, y, true);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    dx = Buffers.ensure(dx, inShape);
    java.util.Arrays.fill(dx.data, dx.offset, dx.offset + dx.size(), 0f);
    move(dx, dy, false);
    return dx;
  }

  private void move(Tensor big, Tensor small, boolean crop) {
    int top = (inShape[2] - h) / 2;
    int left = (inShape[3] - w) / 2;
    for (int plane = 0; plane < inShape[0] * inShape[1]; plane++) {
      for (int i = 0; i < h; i++) {
        int b = big.offset + (plane * inShape[2] + top + i) * inShape[3] + left;
        int s = small.offset + (plane * h + i) * w;
        if (crop) {
          System.arraycopy(big.data, b, small.data, s, w);
        } else {
          System.arraycopy(small.data, s, big.data, b, w);
        }
      }
    }
  }

  @Override
  public String describe() {
    return "center crop " + h + "x" + w;
  }
}
