package sparkcnn.models.zoo;

import java.util.ArrayList;
import java.util.List;
import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Sequential;

/** The small recurring pieces of the zoo's tables. */
final class Blocks {
  private Blocks() {}

  static final Activation.Kind RELU = Activation.Kind.RELU;

  /** k x k convolution with "half" padding, no bias, then batch norm. */
  static Layer convBn(int in, int out, int k, int stride, int groups) {
    return Sequential.of(new Conv2d(in, out, k, stride, (k - 1) / 2, 1, groups, false), new BatchNorm2d(out));
  }

  /** convBn followed by an activation. */
  static Layer convBnAct(int in, int out, int k, int stride, int groups, Activation.Kind act) {
    return Sequential.of(new Conv2d(in, out, k, stride, (k - 1) / 2, 1, groups, false), new BatchNorm2d(out),
        new Activation(act));
  }

  /** Batch norm then activation: the pre-activation pair. */
  static Layer bnAct(int c, Activation.Kind act) {
    return Sequential.of(new BatchNorm2d(c), new Activation(act));
  }

  /** k x k convolution with bias and half padding, then ReLU (VGG, AlexNet, NIN, U-Net). */
  static Layer convRelu(int in, int out, int k, int stride, int pad) {
    return Sequential.of(new Conv2d(in, out, k, stride, pad, 1, 1, true), new Activation(RELU));
  }

  /** A growable list of layers, turned into a Sequential at the end. */
  static final class Stack {
    private final List<Layer> layers = new ArrayList<>();

    Stack add(Layer... ls) {
      layers.addAll(List.of(ls));
      return this;
    }

    Sequential build() {
      return new Sequential(layers);
    }
  }
}
