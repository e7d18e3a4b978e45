package sparkcnn.models.zoo;

import static sparkcnn.models.zoo.Blocks.RELU;
import static sparkcnn.models.zoo.Blocks.convBnAct;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.AdaptiveAvgPool2d;
import sparkcnn.models.layers.Concat;
import sparkcnn.models.layers.Dropout;
import sparkcnn.models.layers.Flatten;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.layers.SideOutput;

/**
 * GoogLeNet / Inception v1 (Szegedy et al., 2014): nine Inception modules whose 3x3 and 5x5 branches sit behind
 * 1x1 bottlenecks, and two auxiliary classifiers (after 4a and 4d) whose losses count 0.3 each in training and
 * which do not run at inference. Convolutions carry batch norm as in torchvision; the 5x5 branch keeps the
 * paper's 5x5 kernel. Width scales every branch.
 */
final class GoogLeNet {
  private GoogLeNet() {}

  /** in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection: Table 1 of the paper. */
  private static final int[][] MODULES = {
      {192, 64, 96, 128, 16, 32, 32}, {256, 128, 128, 192, 32, 96, 64}, // 3a, 3b
      {480, 192, 96, 208, 16, 48, 64}, {512, 160, 112, 224, 24, 64, 64}, {512, 128, 128, 256, 24, 64, 64}, // 4a-c
      {512, 112, 144, 288, 32, 64, 64}, {528, 256, 160, 320, 32, 128, 128}, // 4d, 4e
      {832, 256, 160, 320, 32, 128, 128}, {832, 384, 192, 384, 48, 128, 128}}; // 5a, 5b
  static final float AUX_WEIGHT = 0.3f;

  static Layer build(Build b) {
    Blocks.Stack s = new Blocks.Stack();
    s.add(convBnAct(b.channels(), b.ch(64), 7, 2, 1, RELU), Pool2d.max(3, 2, 1),
        convBnAct(b.ch(64), b.ch(64), 1, 1, 1, RELU), convBnAct(b.ch(64), b.ch(192), 3, 1, 1, RELU),
        Pool2d.max(3, 2, 1));
    int in = b.ch(192);
    for (int i = 0; i < MODULES.length; i++) {
      int[] m = MODULES[i];
      s.add(inception(b, in, m));
      in = out(b, m);
      if (i == 2 || i == 5) { // after 4a and 4d
        s.add(new SideOutput(aux(b, out(b, m)), AUX_WEIGHT));
      }
      if (i == 1 || i == 6) {
        s.add(Pool2d.max(3, 2, 1));
      }
    }
    int c = out(b, MODULES[MODULES.length - 1]);
    return s.add(new GlobalAvgPool(), new Dropout(0.4f, 1), new Linear(c, b.classes(), true)).build();
  }

  private static int out(Build b, int[] m) {
    return b.ch(m[1]) + b.ch(m[3]) + b.ch(m[5]) + b.ch(m[6]);
  }

  private static Layer inception(Build b, int in, int[] m) {
    return Concat.of(
        convBnAct(in, b.ch(m[1]), 1, 1, 1, RELU),
        Sequential.of(convBnAct(in, b.ch(m[2]), 1, 1, 1, RELU), convBnAct(b.ch(m[2]), b.ch(m[3]), 3, 1, 1, RELU)),
        Sequential.of(convBnAct(in, b.ch(m[4]), 1, 1, 1, RELU), convBnAct(b.ch(m[4]), b.ch(m[5]), 5, 1, 1, RELU)),
        Sequential.of(Pool2d.max(3, 1, 1), convBnAct(in, b.ch(m[6]), 1, 1, 1, RELU)));
  }

  /** The auxiliary head: 4x4 average pool, 1x1 conv to 128, fc 1024, dropout 0.7, fc to the classes. */
  private static Layer aux(Build b, int in) {
    int c = b.ch(128);
    return Sequential.of(new AdaptiveAvgPool2d(4, 4), convBnAct(in, c, 1, 1, 1, RELU), new Flatten(),
        new Linear(c * 16, b.ch(1024), true), new Activation(Activation.Kind.RELU), new Dropout(0.7f, 3),
        new Linear(b.ch(1024), b.classes(), true));
  }
}
