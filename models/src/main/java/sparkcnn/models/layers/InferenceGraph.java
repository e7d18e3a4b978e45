package sparkcnn.models.layers;

import java.util.ArrayList;
import java.util.List;
import sparkcnn.models.Layer;

/**
 * Rewrites a bound layer tree into its inference graph, in place: in every sequence, a batch norm right after a
 * convolution is folded into the convolution (one pass over the output instead of two), the activation that then
 * follows is applied in the convolution's bias pass (one pass fewer again, and no buffer of its own), and dropout
 * and side outputs become identities. Batch norms elsewhere (pre-activation blocks) stay and use running statistics.
 * Linear layers keep their weights packed for the GEMM.
 * Then a sequence that is an inverted residual body (expand 1x1, depthwise, project 1x1) runs in row bands that stay
 * in L2 ({@link InvertedResidualBands}).
 */
public final class InferenceGraph {
  private InferenceGraph() {}

  /**
   * Rewrites the tree and returns what folds the batch norms again: after new raw parameters and statistics
   * are loaded into the buffers, it recomputes every folded convolution's weights and bias from them.
   */
  public static Runnable fold(Layer layer) {
    return fold(layer, BANDS);
  }

  /** {@link #fold(Layer)}, with the inverted residual bodies in row bands or not. */
  public static Runnable fold(Layer layer, boolean bands) {
    List<Runnable> refolds = new ArrayList<>();
    fold(layer, refolds, bands);
    return () -> refolds.forEach(Runnable::run);
  }

  private static void fold(Layer layer, List<Runnable> refolds, boolean bands) {
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
    if (layer instanceof Linear linear) {
      linear.packForInference();
      refolds.add(linear::packForInference);
    }
    for (Layer child : layer.children()) {
      fold(child, refolds, bands);
    }
    if (bands && layer instanceof Sequential seq) {
      fuseInvertedResidual(seq);
    }
  }

  /**
   * Whether inverted residual bodies run in row bands ({@link InvertedResidualBands}); the system property
   * {@code sparkcnn.inference.bands=false} keeps them layer by layer, as a baseline to measure against.
   */
  static final boolean BANDS = Boolean.parseBoolean(System.getProperty("sparkcnn.inference.bands", "true"));

  /**
   * A sequence whose (folded) layers are exactly expand 1x1, depthwise, project 1x1 (or the last two) becomes one
   * {@link InvertedResidualBands}; the convolutions keep their parameters and refolds.
   */
  private static void fuseInvertedResidual(Sequential seq) {
    List<Conv2d> chain = new ArrayList<>();
    if (!convChain(seq, chain) || chain.size() < 2 || chain.size() > 3) {
      return;
    }
    Conv2d expand = chain.size() == 3 ? chain.get(0) : null;
    Conv2d dw = chain.get(chain.size() - 2);
    Conv2d project = chain.get(chain.size() - 1);
    if ((expand != null && !expand.isPlainPointwise()) || !dw.isUndilatedDepthwise() || !project.isPlainPointwise()) {
      return;
    }
    List<Layer> layers = seq.children();
    seq.replace(0, new InvertedResidualBands(expand, dw, project));
    for (int i = 1; i < layers.size(); i++) {
      seq.replace(i, new Identity());
    }
  }

  /** Adds the convolutions of a tree of sequences, convolutions and identities; false if it holds anything else. */
  private static boolean convChain(Layer layer, List<Conv2d> chain) {
    if (layer instanceof Conv2d conv) {
      chain.add(conv);
      return true;
    }
    if (layer instanceof Identity) {
      return true;
    }
    if (layer instanceof Sequential seq) {
      for (Layer child : seq.children()) {
        if (!convChain(child, chain)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }
}
