package sparkcnn.models.zoo;

import static sparkcnn.models.zoo.Blocks.convRelu;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.CenterCrop;
import sparkcnn.models.layers.Concat;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.ConvTranspose2d;
import sparkcnn.models.layers.Identity;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Sequential;

/**
 * U-Net (Ronneberger et al., 2015): four 2x2 max-pool steps down (64-128-256-512-1024 channels, two 3x3 convs
 * each), four 2x2 transposed-conv steps up, each concatenating the encoder's features of the same level, and a
 * 1x1 head giving per-pixel class scores. Unpadded (the paper's: 572x572 in, 388x388 out, skips centre-cropped)
 * or padded (output as large as the input). Width scales the channels, depth is ignored (the levels are fixed).
 * {@link #small} is a lighter padded variant for small inputs (64x64): three steps down from 32 channels.
 */
final class UNet {
  private UNet() {}

  static Layer build(Build b, boolean padded) {
    int[] c = {b.ch(64), b.ch(128), b.ch(256), b.ch(512), b.ch(1024)};
    return level(b.channels(), c, 0, padded, false, b.height(), b.width(), b.classes());
  }

  /**
   * Padded, three 2x2 steps down (32-64-128-256 channels), every 3x3 convolution batch-normalized: the
   * receptive field covers a 64x64 input at a small fraction of the full network's cost per pixel, and batch
   * norm makes it converge in the few epochs a 2-core machine can give it.
   */
  static Layer small(Build b) {
    int[] c = {b.ch(32), b.ch(64), b.ch(128), b.ch(256)};
    return level(b.channels(), c, 0, true, true, b.height(), b.width(), b.classes());
  }

  /** 3x3 convolution then ReLU, with batch norm between them (and no conv bias) if bn. */
  private static Layer conv(int in, int out, int pad, boolean bn) {
    return bn ? Sequential.of(new Conv2d(in, out, 3, 1, pad, 1, 1, false), new BatchNorm2d(out),
        new Activation(Activation.Kind.RELU)) : convRelu(in, out, 3, 1, pad);
  }

  /**
   * The network from level l down, for an input of h x w with in channels: double conv, then (above the bottom)
   * concat(skip, pool - deeper levels - up-conv) and another double conv. The head closes level 0.
   */
  private static Layer level(int in, int[] c, int l, boolean padded, boolean bn, int h, int w, int classes) {
    int pad = padded ? 1 : 0;
    Layer convs = Sequential.of(conv(in, c[l], pad, bn), conv(c[l], c[l], pad, bn));
    int shrink = padded ? 0 : 4;
    int hs = h - shrink;
    int ws = w - shrink;
    if (l == c.length - 1) {
      return convs;
    }
    Layer deeper = level(c[l], c, l + 1, padded, bn, hs / 2, ws / 2, 0);
    int[] below = deeper.outputShape(new int[] {1, c[l], hs / 2, ws / 2});
    int upH = below[2] * 2;
    int upW = below[3] * 2;
    Layer down = Sequential.of(Pool2d.max(2, 2, 0), deeper, new ConvTranspose2d(c[l + 1], c[l], 2, 2, 0, 0));
    Layer skip = padded ? new Identity() : new CenterCrop(Math.max(1, upH), Math.max(1, upW));
    Layer merged = Sequential.of(Concat.of(skip, down), conv(2 * c[l], c[l], pad, bn), conv(c[l], c[l], pad, bn));
    Layer result = Sequential.of(convs, merged);
    return l == 0 ? Sequential.of(result, new Conv2d(c[0], classes, 1, 1, 0, 1, 1, true)) : result;
  }
}
