package sparkcnn.models.zoo;

import static sparkcnn.models.zoo.Blocks.convRelu;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.AdaptiveAvgPool2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Dropout;
import sparkcnn.models.layers.Flatten;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Sequential;

/**
 * The early networks: LeNet-5, the TensorFlow tutorial's Fashion-MNIST convnet, AlexNet and Network in Network.
 * Width scales their channels and hidden units; they have no repeated blocks for depth to scale.
 */
final class Classic {
  private Classic() {}

  /** LeCun et al., 1998: tanh and average-pooling subsampling; 61,706 parameters at 1x32x32 with 10 classes. */
  static Layer lenet5(Build b) {
    int c1 = b.ch(6);
    int c2 = b.ch(16);
    int h = ((b.height() - 4) / 2 - 4) / 2;
    int w = ((b.width() - 4) / 2 - 4) / 2;
    Activation.Kind tanh = Activation.Kind.TANH;
    return Sequential.of(
        new Conv2d(b.channels(), c1, 5, 1, 0, 1, 1, true), new Activation(tanh), Pool2d.avg(2, 2, 0, true),
        new Conv2d(c1, c2, 5, 1, 0, 1, 1, true), new Activation(tanh), Pool2d.avg(2, 2, 0, true),
        new Flatten(), new Linear(c2 * Math.max(h, 1) * Math.max(w, 1), b.ch(120), true), new Activation(tanh),
        new Linear(b.ch(120), b.ch(84), true), new Activation(tanh), new Linear(b.ch(84), b.classes(), true));
  }

  /** The TensorFlow "Build a CNN" tutorial network, the reference convnet of Fashion-MNIST's benchmark. */
  static Layer tfConvnet(Build b) {
    int c1 = b.ch(32);
    int c2 = b.ch(64);
    int h = (b.height() + 3) / 4;
    int w = (b.width() + 3) / 4;
    return Sequential.of(
        convRelu(b.channels(), c1, 5, 1, Conv2d.SAME), Pool2d.max(2, 2, Conv2d.SAME),
        convRelu(c1, c2, 5, 1, Conv2d.SAME), Pool2d.max(2, 2, Conv2d.SAME),
        new Flatten(), new Linear(c2 * h * w, b.ch(1024), true), new Activation(Activation.Kind.RELU),
        new Dropout(0.4f, 1), new Linear(b.ch(1024), b.classes(), true));
  }

  /** AlexNet as in torchvision (the single-tower variant of Krizhevsky's "one weird trick" paper). */
  static Layer alexnet(Build b) {
    int[] c = {b.ch(64), b.ch(192), b.ch(384), b.ch(256), b.ch(256)};
    int hidden = b.ch(4096);
    return Sequential.of(
        convRelu(b.channels(), c[0], 11, 4, 2), Pool2d.max(3, 2, 0),
        convRelu(c[0], c[1], 5, 1, 2), Pool2d.max(3, 2, 0),
        convRelu(c[1], c[2], 3, 1, 1), convRelu(c[2], c[3], 3, 1, 1), convRelu(c[3], c[4], 3, 1, 1),
        Pool2d.max(3, 2, 0), new AdaptiveAvgPool2d(6, 6), new Flatten(),
        new Dropout(0.5f, 1), new Linear(c[4] * 36, hidden, true), new Activation(Activation.Kind.RELU),
        new Dropout(0.5f, 2), new Linear(hidden, hidden, true), new Activation(Activation.Kind.RELU),
        new Linear(hidden, b.classes(), true));
  }

  /** Network in Network (Lin et al., 2013), ImageNet layout: mlpconv blocks and a global-average-pooled head. */
  static Layer nin(Build b) {
    int[] c = {b.ch(96), b.ch(256), b.ch(384), b.ch(1024)};
    return Sequential.of(
        mlpconv(b.channels(), c[0], 11, 4, 0), Pool2d.max(3, 2, 0),
        mlpconv(c[0], c[1], 5, 1, 2), Pool2d.max(3, 2, 0),
        mlpconv(c[1], c[2], 3, 1, 1), Pool2d.max(3, 2, 0), new Dropout(0.5f, 1),
        convRelu(c[2], c[3], 3, 1, 1), convRelu(c[3], c[3], 1, 1, 0), convRelu(c[3], b.classes(), 1, 1, 0),
        new GlobalAvgPool());
  }

  private static Layer mlpconv(int in, int out, int k, int stride, int pad) {
    return Sequential.of(convRelu(in, out, k, stride, pad), convRelu(out, out, 1, 1, 0), convRelu(out, out, 1, 1, 0));
  }
}
