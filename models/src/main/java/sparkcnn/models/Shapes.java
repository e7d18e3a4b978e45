package sparkcnn.models;

import sparkcnn.kernels.Shape;

/** Shape checks shared by layers; each error names the layer and what it expected. */
public final class Shapes {
  private Shapes() {}

  /** Fails unless in is (N, C, H, W) with C = channels (channels <= 0: any). */
  public static void image(String layer, int[] in, int channels) {
    if (in.length != 4) {
      throw new IllegalArgumentException(layer + ": expects an (N, C, H, W) input, got " + Shape.show(in));
    }
    if (channels > 0 && in[1] != channels) {
      throw new IllegalArgumentException(layer + ": expects " + channels + " input channels, got " + in[1]
          + " (input " + Shape.show(in) + ")");
    }
  }

  /** Elements per sample: the product of all but the batch dimension. */
  public static int perSample(int[] shape) {
    int n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    return n;
  }
}
