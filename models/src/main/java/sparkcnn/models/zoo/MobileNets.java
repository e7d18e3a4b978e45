package sparkcnn.models.zoo;

import static sparkcnn.models.zoo.Blocks.RELU;
import static sparkcnn.models.zoo.Blocks.convBn;
import static sparkcnn.models.zoo.Blocks.convBnAct;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.ChannelShuffle;
import sparkcnn.models.layers.Concat;
import sparkcnn.models.layers.Dropout;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Residual;
import sparkcnn.models.layers.Sequential;

/** The mobile families: MobileNet v1 and v2 and ShuffleNet v1, from their papers' tables. */
final class MobileNets {
  private MobileNets() {}

  private static final Activation.Kind RELU6 = Activation.Kind.RELU6;

  /** MobileNet v1 (Howard et al., 2017): output channels, first stride, repeats of each depthwise-separable block. */
  private static final int[][] V1 = {{64, 1, 1}, {128, 2, 1}, {128, 1, 1}, {256, 2, 1}, {256, 1, 1}, {512, 2, 1},
      {512, 1, 5}, {1024, 2, 1}, {1024, 1, 1}};

  /** MobileNet v1; width is the paper's multiplier alpha. */
  static Layer v1(Build b) {
    int in = b.ch(32);
    Blocks.Stack s = new Blocks.Stack().add(convBnAct(b.channels(), in, 3, 2, 1, RELU6));
    for (int[] row : V1) {
      int out = b.ch(row[0]);
      for (int r = 0; r < b.repeats(row[2]); r++) {
        s.add(convBnAct(in, in, 3, r == 0 ? row[1] : 1, in, RELU6), convBnAct(in, out, 1, 1, 1, RELU6));
        in = out;
      }
    }
    return s.add(new GlobalAvgPool(), new Dropout(0.001f, 1), new Linear(in, b.classes(), true)).build();
  }

  /** MobileNet v2 (Sandler et al., 2018): expansion t, channels c, repeats n, first stride s (Table 2). */
  private static final int[][] V2 = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1},
      {6, 160, 3, 2}, {6, 320, 1, 1}};

  /** MobileNet v2 with torchvision's rounding (channels to multiples of 8; the last conv never below 1280). */
  static Layer v2(Build b) {
    int in = Scaling.roundChannels(32 * b.scaling().width());
    Blocks.Stack s = new Blocks.Stack().add(convBnAct(b.channels(), in, 3, 2, 1, RELU6));
    for (int[] row : V2) {
      int out = Scaling.roundChannels(row[1] * b.scaling().width());
      for (int i = 0; i < b.repeats(row[2]); i++) {
        s.add(invertedResidual(in, out, i == 0 ? row[3] : 1, row[0]));
        in = out;
      }
    }
    int last = Scaling.roundChannels(1280 * Math.max(1.0, b.scaling().width()));
    return s.add(convBnAct(in, last, 1, 1, 1, RELU6), new GlobalAvgPool(), new Dropout(0.2f, 1),
        new Linear(last, b.classes(), true)).build();
  }

  /** Expand (1x1, ReLU6), depthwise 3x3 (ReLU6), linear projection (1x1, no activation); add when shapes match. */
  private static Layer invertedResidual(int in, int out, int stride, int t) {
    int hidden = in * t;
    Blocks.Stack body = new Blocks.Stack();
    if (t != 1) {
      body.add(convBnAct(in, hidden, 1, 1, 1, RELU6));
    }
    body.add(convBnAct(hidden, hidden, 3, stride, hidden, RELU6), convBn(hidden, out, 1, 1, 1));
    return stride == 1 && in == out ? new Residual(body.build(), null, null) : body.build();
  }

  /** ShuffleNet v1 (Zhang et al., 2017) output channels per stage for 1..4 and 8 groups (Table 1). */
  private static int[] shuffleChannels(int groups) {
    return switch (groups) {
      case 1 -> new int[] {144, 288, 576};
      case 2 -> new int[] {200, 400, 800};
      case 3 -> new int[] {240, 480, 960};
      case 4 -> new int[] {272, 544, 1088};
      case 8 -> new int[] {384, 768, 1536};
      default -> throw new IllegalArgumentException("shufflenet_v1: groups must be 1, 2, 3, 4 or 8, got " + groups);
    };
  }

  /** ShuffleNet v1 with g groups: stem, three stages of 4, 8, 4 units, global pool, classifier. */
  static Layer shufflenetV1(Build b, int groups) {
    int[] channels = shuffleChannels(groups);
    // Every grouped convolution needs its channels divisible by the groups, also after width scaling.
    int in = roundTo(b.ch(24), groups);
    Blocks.Stack s = new Blocks.Stack().add(convBnAct(b.channels(), in, 3, 2, 1, RELU), Pool2d.max(3, 2, 1));
    int[] repeats = {4, 8, 4};
    for (int stage = 0; stage < 3; stage++) {
      int out = in + roundTo(b.ch(channels[stage]) - in, groups);
      for (int i = 0; i < b.repeats(repeats[stage]); i++) {
        s.add(shuffleUnit(in, out, i == 0 ? 2 : 1, groups, stage == 0 && i == 0));
        in = out;
      }
    }
    return s.add(new GlobalAvgPool(), new Linear(in, b.classes(), true)).build();
  }

  private static int roundTo(int c, int multiple) {
    return (c + multiple - 1) / multiple * multiple;
  }

  /**
   * Grouped 1x1 to a quarter of the output, channel shuffle, depthwise 3x3, grouped 1x1; the stride-2 unit concats
   * a 3x3 average-pooled shortcut instead of adding. The first unit's 1x1 is not grouped (its input has 24
   * channels).
   */
  private static Layer shuffleUnit(int in, int out, int stride, int groups, boolean firstUnit) {
    int produced = stride == 2 ? out - in : out;
    int mid = roundTo(out / 4, groups);
    int g1 = firstUnit ? 1 : groups;
    Layer body = Sequential.of(convBnAct(in, mid, 1, 1, g1, RELU), new ChannelShuffle(g1),
        convBn(mid, mid, 3, stride, mid), convBn(mid, produced, 1, 1, groups));
    return stride == 2
        ? Sequential.of(Concat.of(Pool2d.avg(3, 2, 1, true), body), new Activation(RELU))
        : new Residual(body, null, new Activation(RELU));
  }
}
