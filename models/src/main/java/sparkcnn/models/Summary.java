package sparkcnn.models;

import java.util.ArrayList;
import java.util.List;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.SideOutput;

/**
 * A network's cost sheet from shape inference alone (no data flows, no parameters needed): every leaf layer
 * with its output shape, parameters and multiply-adds for one sample, then totals, the receptive field and the
 * activation memory a forward pass keeps for a batch of one.
 */
public record Summary(String model, int[] input, List<Row> rows, long params, long inferenceParams, long macs,
    int receptiveField, long activationBytes) {

  /**
   * One leaf layer: its name (path in the tree, what training.freeze takes), description, output and cost, and
   * for a 2D convolution its geometry for a batch of one (null otherwise).
   */
  public record Row(String name, String layer, int[] output, long params, long macs, ConvGeom conv) {}

  public static Summary of(Model model) {
    List<Row> rows = new ArrayList<>();
    long[] macs = {0};
    long[] activations = {0};
    int[] in = new int[model.inputShape().length + 1];
    in[0] = 1;
    System.arraycopy(model.inputShape(), 0, in, 1, in.length - 1);
    java.util.Map<Layer, String> names = new java.util.IdentityHashMap<>();
    Model.forEachLeaf(model.root(), (name, layer) -> names.put(layer, name));
    ReceptiveField field = model.root().trace(in, ReceptiveField.PIXEL, (layer, i, o) -> {
      long m = layer.macs(i);
      macs[0] += m;
      long size = 1;
      for (int d : o) {
        size *= d;
      }
      activations[0] += size * Float.BYTES;
      ConvGeom conv = layer instanceof Conv2d c ? c.geometry(i) : null;
      rows.add(new Row(names.getOrDefault(layer, ""), layer.describe(), o.clone(), layer.paramCount(), m, conv));
    });
    long side = model.sideOutputs().stream().mapToLong(SideOutput::paramCount).sum();
    int rf = (int) Math.round(Math.min(field.size(), Integer.MAX_VALUE));
    return new Summary(model.name(), model.inputShape(), List.copyOf(rows), model.paramCount(),
        model.paramCount() - side, macs[0], rf, activations[0]);
  }
}
