package sparkcnn.models.zoo;

import static sparkcnn.models.zoo.Blocks.RELU;
import static sparkcnn.models.zoo.Blocks.bnAct;
import static sparkcnn.models.zoo.Blocks.convBn;
import static sparkcnn.models.zoo.Blocks.convBnAct;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.PadChannels;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Residual;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.layers.SqueezeExcite;

/**
 * Residual networks (He et al., 2015 and 2016) from one table each: blocks per stage, block kind, and the
 * variations that follow torchvision's layout: stride on the 3x3 convolution of a bottleneck ("v1.5"), grouped
 * bottlenecks (ResNeXt), wider bottlenecks (Wide ResNet), squeeze-excitation (SENet), pre-activation ordering,
 * and the CIFAR networks with a 3x3 stem and parameter-free zero-padded shortcuts (option A).
 */
final class ResNets {
  private ResNets() {}

  /** The block variant of a network. */
  record Kind(boolean bottleneck, int groups, int widthPerGroup, boolean squeezeExcite, boolean preActivation) {
    static final Kind BASIC = new Kind(false, 1, 64, false, false);
    static final Kind BOTTLENECK = new Kind(true, 1, 64, false, false);

    int expansion() {
      return bottleneck ? 4 : 1;
    }
  }

  static final int[] R18 = {2, 2, 2, 2};
  static final int[] R34 = {3, 4, 6, 3};
  static final int[] R101 = {3, 4, 23, 3};
  static final int[] R152 = {3, 8, 36, 3};

  /** The ImageNet networks: 7x7 stem, max pool, four stages of 64-128-256-512 planes, global pool, classifier. */
  static Layer imagenet(Build b, int[] blocks, Kind kind) {
    Blocks.Stack s = new Blocks.Stack();
    int in = b.ch(64);
    s.add(kind.preActivation() ? new Conv2d(b.channels(), in, 7, 2, 3, 1, 1, false)
        : convBnAct(b.channels(), in, 7, 2, 1, RELU), Pool2d.max(3, 2, 1));
    int[] planes = {64, 128, 256, 512};
    for (int stage = 0; stage < 4; stage++) {
      int p = b.ch(planes[stage]);
      for (int i = 0; i < b.repeats(blocks[stage]); i++) {
        int stride = stage > 0 && i == 0 ? 2 : 1;
        s.add(block(in, p, stride, kind, false));
        in = p * kind.expansion();
      }
    }
    if (kind.preActivation()) {
      s.add(bnAct(in, RELU));
    }
    return s.add(new GlobalAvgPool(), new Linear(in, b.classes(), true)).build();
  }

  /**
   * The CIFAR networks: 3x3 stem of 16 channels, three stages of 16-32-64 planes with n blocks each, global pool
   * and classifier. Basic blocks use option-A shortcuts; pre-activation bottlenecks use projections.
   */
  static Layer cifar(Build b, int n, Kind kind) {
    Blocks.Stack s = new Blocks.Stack();
    int in = b.ch(16);
    s.add(kind.preActivation() ? new Conv2d(b.channels(), in, 3, 1, 1, 1, 1, false)
        : convBnAct(b.channels(), in, 3, 1, 1, RELU));
    int[] planes = {16, 32, 64};
    for (int stage = 0; stage < 3; stage++) {
      int p = b.ch(planes[stage]);
      for (int i = 0; i < b.repeats(n); i++) {
        int stride = stage > 0 && i == 0 ? 2 : 1;
        s.add(block(in, p, stride, kind, !kind.bottleneck()));
        in = p * kind.expansion();
      }
    }
    if (kind.preActivation()) {
      s.add(bnAct(in, RELU));
    }
    return s.add(new GlobalAvgPool(), new Linear(in, b.classes(), true)).build();
  }

  /** One residual block from in channels to planes * expansion. */
  static Layer block(int in, int planes, int stride, Kind kind, boolean optionA) {
    int out = planes * kind.expansion();
    boolean project = stride != 1 || in != out;
    Layer shortcut = !project ? null
        : optionA ? new PadChannels(in, out, stride)
        : kind.preActivation() ? new Conv2d(in, out, 1, stride, 0, 1, 1, false)
        : convBn(in, out, 1, stride, 1);
    if (kind.preActivation()) {
      // BN-ReLU-conv units; with a projection the shortcut also takes the activated input, so the first
      // BN-ReLU moves in front of the split.
      Layer body = kind.bottleneck()
          ? Sequential.of(conv(in, planes, 1, 1, 1), bnAct(planes, RELU), conv(planes, planes, 3, stride, 1),
              bnAct(planes, RELU), conv(planes, out, 1, 1, 1))
          : Sequential.of(conv(in, planes, 3, stride, 1), bnAct(planes, RELU), conv(planes, planes, 3, 1, 1));
      return project ? Sequential.of(bnAct(in, RELU), new Residual(body, shortcut, null))
          : new Residual(Sequential.of(bnAct(in, RELU), body), null, null);
    }
    Blocks.Stack body = new Blocks.Stack();
    if (kind.bottleneck()) {
      int width = planes * kind.widthPerGroup() / 64 * kind.groups();
      body.add(convBnAct(in, width, 1, 1, 1, RELU), convBnAct(width, width, 3, stride, kind.groups(), RELU),
          convBn(width, out, 1, 1, 1));
    } else {
      body.add(convBnAct(in, planes, 3, stride, 1, RELU), convBn(planes, planes, 3, 1, 1));
    }
    if (kind.squeezeExcite()) {
      body.add(new SqueezeExcite(out, out / 16, Activation.Kind.RELU));
    }
    return new Residual(body.build(), shortcut, new Activation(RELU));
  }

  private static Layer conv(int in, int out, int k, int stride, int groups) {
    return new Conv2d(in, out, k, stride, (k - 1) / 2, 1, groups, false);
  }
}
