package sparkcnn.models.layers;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import sparkcnn.models.Layer;

/**
 * Rewrites a bound layer tree into its inference graph, in place: in every sequence, a batch norm right after a
 * convolution, or first in a sequence right after one, is folded into the convolution (one pass over the output
 * instead of two), the activation that then follows is applied in the convolution's bias pass (one pass fewer
 * again, and no buffer of its own), and dropout and side outputs become identities. Batch norms elsewhere (those
 * that open a pre-activation block after a sum or a concatenation) stay and use running statistics.
 * Linear layers and convolutions keep their weights packed for the GEMM. A convolution and the max pool after it
 * become one layer ({@link ConvMaxPool}).
 * Then a sequence that is an inverted residual body (expand 1x1, depthwise, project 1x1) runs in row bands that stay
 * in L2 ({@link InvertedResidualBands}), and a squeeze-and-excitation gate before a 1x1 convolution is applied inside
 * the convolution ({@link GateIntoPointwise}).
 */
public final class InferenceGraph {
  private InferenceGraph() {}

  /**
   * Rewrites the tree and returns what folds the batch norms again: after new raw parameters and statistics
   * are loaded into the buffers, it recomputes every folded convolution's weights and bias from them, packs the
   * linear layers' weights again, and drops the convolutions' packed weights (their next forward packs them).
   */
  public static Runnable fold(Layer layer) {
    return fold(layer, true);
  }

  /**
   * {@link #fold(Layer)}; merge false keeps every layer at its place in its sequence (no row bands, no
   * convolution merged with its max pool), for a frozen prefix that cuts the tree by child position.
   */
  public static Runnable fold(Layer layer, boolean merge) {
    List<Runnable> refolds = new ArrayList<>();
    Set<Pool2d> unpooled = new HashSet<>();
    collectUnpooled(layer, unpooled);
    fold(layer, refolds, merge, unpooled);
    return () -> refolds.forEach(Runnable::run);
  }

  /** The max pools a max unpool reads the arg-max of (SegNet's): they stay layers of their own. */
  private static void collectUnpooled(Layer layer, Set<Pool2d> out) {
    if (layer instanceof MaxUnpool2d unpool) {
      out.add(unpool.pool());
    }
    for (Layer child : layer.children()) {
      collectUnpooled(child, out);
    }
  }

  private static void fold(Layer layer, List<Runnable> refolds, boolean merge, Set<Pool2d> unpooled) {
    if (layer instanceof Sequential seq) {
      List<Layer> layers = seq.children();
      Set<Sequential> foldedBlocks = new HashSet<>();
      for (int i = 0; i < layers.size(); i++) {
        Layer l = layers.get(i);
        if (l instanceof Dropout || l instanceof SideOutput) {
          seq.replace(i, new Identity());
        } else if (l instanceof Conv2d conv && i + 1 < layers.size() && layers.get(i + 1) instanceof BatchNorm2d bn) {
          conv.foldBatchNorm(bn);
          refolds.add(() -> conv.foldBatchNorm(bn));
          seq.replace(i + 1, new Identity());
        } else if (l instanceof Conv2d conv && i + 1 < layers.size() && leadingNorm(layers.get(i + 1)) != null) {
          // A batch norm + activation block after the convolution (DenseNet's 1x1 -> BN-ReLU, the pre-activation
          // blocks' conv -> BN-ReLU): the norm is the next thing applied to the convolution's output all the same.
          Sequential inner = (Sequential) layers.get(i + 1);
          BatchNorm2d bn = leadingNorm(inner);
          conv.foldBatchNorm(bn);
          refolds.add(() -> conv.foldBatchNorm(bn));
          inner.replace(0, new Identity());
          foldedBlocks.add(inner);
        }
      }
      for (int i = 0; i < layers.size(); i++) {
        if (layers.get(i) instanceof Conv2d conv) {
          int next = nextNonIdentity(seq, i + 1);
          if (next < layers.size() && layers.get(next) instanceof Activation act) {
            conv.fuseActivation(act);
            seq.replace(next, new Identity());
          } else if (next < layers.size() && layers.get(next) instanceof Sequential inner
              && foldedBlocks.contains(inner)) {
            // Likewise the activation after the norm just folded out of the block. Only then: a block that opens
            // with an activation may lie past a frozen backbone's cut, which checks for norms (FrozenPrefix).
            int first = nextNonIdentity(inner, 0);
            if (first < inner.children().size() && inner.children().get(first) instanceof Activation act) {
              conv.fuseActivation(act);
              inner.replace(first, new Identity());
            }
          }
        }
      }
    }
    if (layer instanceof Linear linear) {
      linear.packForInference();
      refolds.add(linear::packForInference);
    }
    // A convolution's batch norm was folded (and its refold listed) when its sequence was visited, before this; the
    // weights are packed at the first forward that reads them.
    if (layer instanceof Conv2d conv) {
      conv.packForInference();
      refolds.add(conv::packForInference);
    }
    for (Layer child : layer.children()) {
      fold(child, refolds, merge, unpooled);
    }
    // After the children: their activations are fused by now, and a pool may follow a sequence ending in a conv.
    if (merge && layer instanceof Sequential seq) {
      mergeMaxPools(seq, unpooled);
      gatesIntoPointwise(seq);
      if (BANDS) {
        fuseInvertedResidual(seq);
      }
    }
  }

  /**
   * A max pool that no unpool reads, right after a convolution or after a sequence that ends in one (zoo blocks
   * are conv + activation sequences), where the two {@link ConvMaxPool#merges may merge}: the convolution becomes
   * one {@link ConvMaxPool} in its place and the pool an identity.
   */
  private static void mergeMaxPools(Sequential seq, Set<Pool2d> unpooled) {
    List<Layer> layers = seq.children();
    for (int j = 1; j < layers.size(); j++) {
      if (layers.get(j) instanceof Pool2d pool && !unpooled.contains(pool)) {
        Sequential owner = seq;
        int at = lastNonIdentity(seq, j);
        while (at >= 0 && owner.children().get(at) instanceof Sequential inner) {
          owner = inner;
          at = lastNonIdentity(inner, inner.children().size());
        }
        if (at >= 0 && owner.children().get(at) instanceof Conv2d conv && ConvMaxPool.merges(conv, pool)) {
          owner.replace(at, new ConvMaxPool(conv, pool));
          seq.replace(j, new Identity());
        }
      }
    }
  }

  /**
   * A squeeze-and-excitation gate followed (past identities) by a plain 1x1 convolution becomes one {@link
   * GateIntoPointwise} in the gate's place, the convolution an identity where it was.
   */
  private static void gatesIntoPointwise(Sequential seq) {
    List<Layer> layers = seq.children();
    for (int i = 0; i < layers.size(); i++) {
      if (!(layers.get(i) instanceof SqueezeExcite gate)) {
        continue;
      }
      // The convolution itself, or inside sequences of it and identities (the zoo's conv + batch norm, folded).
      Sequential owner = seq;
      int at = nextNonIdentity(seq, i + 1);
      while (at < owner.children().size() && owner.children().get(at) instanceof Sequential inner) {
        int sole = soleLayer(inner);
        if (sole < 0) {
          break;
        }
        owner = inner;
        at = sole;
      }
      if (at < owner.children().size() && owner.children().get(at) instanceof Conv2d conv
          && conv.isPlainPointwise()) {
        seq.replace(i, new GateIntoPointwise(gate, conv));
        owner.replace(at, new Identity());
      }
    }
  }

  /** The index of a sequence's only layer that is not an identity, or -1. */
  private static int soleLayer(Sequential seq) {
    int first = nextNonIdentity(seq, 0);
    int size = seq.children().size();
    return first < size && nextNonIdentity(seq, first + 1) == size ? first : -1;
  }

  /** The batch norm a sequence starts with, or null (also when layer is not a sequence). */
  public static BatchNorm2d leadingNorm(Layer layer) {
    return layer instanceof Sequential inner && !inner.children().isEmpty()
        && inner.children().get(0) instanceof BatchNorm2d bn ? bn : null;
  }

  /** The index of the first layer from start on that is not an identity, or the sequence's size. */
  private static int nextNonIdentity(Sequential seq, int start) {
    int i = start;
    while (i < seq.children().size() && seq.children().get(i) instanceof Identity) {
      i++;
    }
    return i;
  }

  /** The index of the last layer before end that is not an identity, or -1. */
  private static int lastNonIdentity(Sequential seq, int end) {
    int i = end - 1;
    while (i >= 0 && seq.children().get(i) instanceof Identity) {
      i--;
    }
    return i;
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
