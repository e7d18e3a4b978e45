package sparkcnn.models.zoo;

import static sparkcnn.models.zoo.Blocks.RELU;
import static sparkcnn.models.zoo.Blocks.bnAct;
import static sparkcnn.models.zoo.Blocks.convBnAct;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Concat;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Identity;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Sequential;

/**
 * DenseNet-BC (Huang et al., 2017): each layer (BN-ReLU-1x1 conv to 4k, BN-ReLU-3x3 conv to k) concatenates its k
 * new channels to everything before it; transitions (BN-ReLU-1x1 conv halving the channels, 2x2 average pool)
 * join the blocks. Width scales the growth rate k and the stem; depth scales the layers per block.
 */
final class DenseNets {
  private DenseNets() {}

  static final int[] D121 = {6, 12, 24, 16};
  static final int[] D169 = {6, 12, 32, 32};
  static final int[] D201 = {6, 12, 48, 32};

  /** The ImageNet networks, growth rate 32, 7x7 stem of 64 channels (torchvision's layout). */
  static Layer imagenet(Build b, int[] layers) {
    int growth = b.ch(32);
    int c = b.ch(64);
    Blocks.Stack s = new Blocks.Stack().add(convBnAct(b.channels(), c, 7, 2, 1, RELU), Pool2d.max(3, 2, 1));
    return blocks(s, b, c, growth, layers);
  }

  /** DenseNet-BC for CIFAR: (depth - 4) / 6 layers in each of three blocks, 3x3 stem of 2k channels. */
  static Layer cifar(Build b, int depth, int k) {
    int growth = b.ch(k);
    int n = (depth - 4) / 6;
    int c = 2 * growth;
    Blocks.Stack s = new Blocks.Stack().add(new Conv2d(b.channels(), c, 3, 1, 1, 1, 1, false));
    return blocks(s, b, c, growth, new int[] {n, n, n});
  }

  private static Layer blocks(Blocks.Stack s, Build b, int c, int growth, int[] layers) {
    for (int block = 0; block < layers.length; block++) {
      for (int i = 0; i < b.repeats(layers[block]); i++) {
        s.add(Concat.of(new Identity(), Sequential.of(bnAct(c, RELU), new Conv2d(c, 4 * growth, 1, 1, 0, 1, 1, false),
            bnAct(4 * growth, RELU), new Conv2d(4 * growth, growth, 3, 1, 1, 1, 1, false))));
        c += growth;
      }
      if (block < layers.length - 1) {
        s.add(bnAct(c, RELU), new Conv2d(c, c / 2, 1, 1, 0, 1, 1, false), Pool2d.avg(2, 2, 0, true));
        c /= 2;
      }
    }
    return s.add(bnAct(c, RELU), new GlobalAvgPool(), new Linear(c, b.classes(), true)).build();
  }
}
