package sparkcnn.models.layers;

import java.util.ArrayList;
import java.util.List;
import sparkcnn.models.Layer;

/**
 * Rewrites a bound layer tree into its inference graph, in place: in every sequence, a batch norm right after a
 * convolution is folded into the convolution (one pass over the output instead of two), the activation that then
 * follows is applied in the convolution's bias pass (one pass fewer again, and no buffer of its own), and dropout
 * and side outputs become identities. Batch norms elsewhere (pre-activation blocks) stay and use running statistics.
 */
public final class InferenceGraph {
  private InferenceGraph() {}

  /**
   * Rewrites the tree and returns what folds the batch norms again: after new raw parameters and statistics
   * are loaded into the buffers, it recomputes every folded convolution's weights and bias from them.
   */
  public static Runnable fold(Layer layer) {
    List<Runnable> refolds = new ArrayList<>();
    fold(layer, refolds);
    return () -> refolds.forEach(Runnable::run);
  }

  private static void fold(Layer layer, List<Runnable> refolds) {
    if (layer instanceof Sequential seq) {
      List<Layer> layers = seq.children();
      for (int i = 0; i < layers.size(); i++) {
        Layer l = layers.get(i);
        if (l instanceof Dropout || l instanceof SideOutput) {
          seq.replace(i, new Identity());
        } else if (l instanceof Conv2d conv && i + 1 < layers.size() && layers.get(i + 1) instanceof BatchNorm2d bn) {
          conv.foldBatchNorm(bn);
          refolds.add(() -> conv.foldBatchNorm(bn));
          seq.replace(i + 1, new Identity());
        }
      }
      for (int i = 0; i < layers.size(); i++) {
        if (layers.get(i) instanceof Conv2d conv) {
          int next = i + 1;
          while (next < layers.size() && layers.get(next) instanceof Identity) {
            next++;
          }
          if (next < layers.size() && layers.get(next) instanceof Activation act) {
            conv.fuseActivation(act);
            seq.replace(next, new Identity());
          }
        }
      }
    }
    for (Layer child : layer.children()) {
      fold(child, refolds);
    }
  }
}
