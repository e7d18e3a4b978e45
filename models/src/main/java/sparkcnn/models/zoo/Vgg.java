package sparkcnn.models.zoo;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.AdaptiveAvgPool2d;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Dropout;
import sparkcnn.models.layers.Flatten;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;

/**
 * VGG (Simonyan and Zisserman, 2014) as in torchvision: five stages of 3x3 convolutions (with bias; batch norm
 * after each in the _bn variants), each stage ending in a 2x2 max pool, then a 7x7 adaptive pool and the
 * 4096-4096 classifier. Depth scales the convolutions per stage.
 */
final class Vgg {
  private Vgg() {}

  /** Convolutions per stage, configurations A, B, D and E of the paper. */
  static final int[] VGG11 = {1, 1, 2, 2, 2};
  static final int[] VGG13 = {2, 2, 2, 2, 2};
  static final int[] VGG16 = {2, 2, 3, 3, 3};
  static final int[] VGG19 = {2, 2, 4, 4, 4};
  private static final int[] CHANNELS = {64, 128, 256, 512, 512};

  static Layer build(Build b, int[] convs, boolean batchNorm) {
    Blocks.Stack s = new Blocks.Stack();
    int in = b.channels();
    for (int stage = 0; stage < convs.length; stage++) {
      int out = b.ch(CHANNELS[stage]);
      for (int i = 0; i < b.repeats(convs[stage]); i++) {
        s.add(new Conv2d(in, out, 3, 1, 1, 1, 1, true));
        if (batchNorm) {
          s.add(new BatchNorm2d(out));
        }
        s.add(new Activation(Activation.Kind.RELU));
        in = out;
      }
      s.add(Pool2d.max(2, 2, 0));
    }
    int hidden = b.ch(4096);
    return s.add(new AdaptiveAvgPool2d(7, 7), new Flatten(),
        new Linear(in * 49, hidden, true), new Activation(Activation.Kind.RELU), new Dropout(0.5f, 1),
        new Linear(hidden, hidden, true), new Activation(Activation.Kind.RELU), new Dropout(0.5f, 2),
        new Linear(hidden, b.classes(), true)).build();
  }
}
