package sparkcnn.models.layers;

import java.util.List;
import sparkcnn.kernels.Conv2dKernels;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.Tracer;

/**
 * Inference only: a squeeze-and-excitation gate and the 1x1 convolution after it (EfficientNet's block: expand,
 * depthwise, gate, project), the gates applied inside the convolution. Layer by layer the gate's multiply reads
 * the depthwise output and writes a gated copy of it, which the projection reads again: a pass over memory of the
 * block's widest tensor. Here the projection reads the depthwise output itself, and the gates scale a copy of the
 * packed weights per image (K C floats) where the pointwise kernel takes an image at a time, or each plane as it
 * gathers the planes of several images (see {@link Conv2dKernels#forwardGated}). Both keep their parameters and
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
  public List<Layer> children() {
    return List.of(gate, conv);
  }

  @Override
  public long macs(int[] in) {
    return conv.macs(in);
  }

  @Override
  public ReceptiveField trace(int[] in, ReceptiveField field, Tracer tracer) {
    return conv.trace(in, gate.trace(in, field, tracer), tracer);
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    if (training) {
      throw new IllegalStateException(describe() + ": an inference graph's layer cannot train");
    }
    return conv.forwardGated(x, gate.gates(x));
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
