package sparkcnn.models.layers;

import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;

/**
 * Inference only: a squeeze-and-excitation gate and the 1x1 convolution after it (EfficientNet's block: expand,
 * depthwise, gate, project), the gates applied through the convolution's weights. Layer by layer the gate's
 * multiply reads the depthwise output and writes a gated copy of it, which the projection reads again: a pass over
 * memory of the block's widest tensor. Here each image's gates scale a copy of the packed weights (K C floats)
 * and the projection reads the depthwise output itself. On planes where that does not pay (under 256 pixels, or
 * more filters than pixels: the last stages) the two layers run as they are. Both keep their parameters and
 * refolds; the unfused pair stays the reference the tests compare against.
 */
final class GateIntoPointwise implements Layer {
  private final SqueezeExcite gate;
  private final Conv2d conv;

  GateIntoPointwise(SqueezeExcite gate, Conv2d conv) {
    this.gate = gate;
    this.conv = conv;
  }

  @Override
  public int[] outputShape(int[] in) {
    return conv.outputShape(gate.outputShape(in));
  }

  @Override
  public long macs(int[] in) {
    return gate.macs(in) + conv.macs(in);
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    if (training) {
      throw new IllegalStateException(describe() + ": an inference graph's layer cannot train");
    }
    if (throughWeights(x.shape())) {
      return conv.forwardGated(x, gate.gates(x));
    }
    return conv.forward(gate.forward(x, false), false);
  }

  /** Whether an input of this shape takes the gates through the weights (else the two layers run as they are). */
  boolean throughWeights(int[] in) {
    return conv.gatesPay(in);
  }

  @Override
  public Tensor backward(Tensor dy) {
    throw new IllegalStateException(describe() + ": an inference graph's layer has no backward");
  }

  @Override
  public String describe() {
    return gate.describe() + " into " + conv.describe();
  }
}
