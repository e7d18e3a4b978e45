package sparkcnn.models.zoo;

import static sparkcnn.models.zoo.Blocks.convBn;
import static sparkcnn.models.zoo.Blocks.convBnAct;

import sparkcnn.models.Layer;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.Dropout;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Residual;
import sparkcnn.models.layers.SqueezeExcite;

/**
 * EfficientNet (Tan and Le, 2019): B0's table of MBConv stages, scaled by width (channels rounded to 8) and depth
 * (repeats rounded up). B1-B7 are B0 with the published per-model coefficients ({@link #PUBLISHED}). MBConv is
 * expand 1x1 - depthwise k x k - squeeze-excite (reduction to a quarter of the block's input) - project 1x1, SiLU
 * throughout, with a residual add when the shape is kept.
 */
final class EfficientNet {
  private EfficientNet() {}

  private static final Activation.Kind SILU = Activation.Kind.SILU;

  /** expand ratio, kernel, first stride, output channels, repeats (the paper's Table 1). */
  private static final int[][] B0 = {{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
      {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};

  /** A published model's coefficients: width, depth, input resolution, classifier dropout. */
  record Coefficients(double width, double depth, int resolution, float dropout) {}

  /** B0..B7 as published (the reference implementation's efficientnet_params). */
  static final Coefficients[] PUBLISHED = {
      new Coefficients(1.0, 1.0, 224, 0.2f), new Coefficients(1.0, 1.1, 240, 0.2f),
      new Coefficients(1.1, 1.2, 260, 0.3f), new Coefficients(1.2, 1.4, 300, 0.3f),
      new Coefficients(1.4, 1.8, 380, 0.4f), new Coefficients(1.6, 2.2, 456, 0.4f),
      new Coefficients(1.8, 2.6, 528, 0.5f), new Coefficients(2.0, 3.1, 600, 0.5f)};

  static Layer build(Build b, float dropout) {
    int in = b.ch(32);
    Blocks.Stack s = new Blocks.Stack().add(convBnAct(b.channels(), in, 3, 2, 1, SILU));
    for (int[] row : B0) {
      int out = b.ch(row[3]);
      for (int i = 0; i < b.repeats(row[4]); i++) {
        s.add(mbConv(in, out, row[1], i == 0 ? row[2] : 1, row[0]));
        in = out;
      }
    }
    int head = b.ch(1280);
    return s.add(convBnAct(in, head, 1, 1, 1, SILU), new GlobalAvgPool(), new Dropout(dropout, 1),
        new Linear(head, b.classes(), true)).build();
  }

  private static Layer mbConv(int in, int out, int k, int stride, int expand) {
    int hidden = in * expand;
    Blocks.Stack body = new Blocks.Stack();
    if (expand != 1) {
      body.add(convBnAct(in, hidden, 1, 1, 1, SILU));
    }
    body.add(convBnAct(hidden, hidden, k, stride, hidden, SILU), new SqueezeExcite(hidden, Math.max(1, in / 4), SILU),
        convBn(hidden, out, 1, 1, 1));
    return stride == 1 && in == out ? new Residual(body.build(), null, null) : body.build();
  }
}
