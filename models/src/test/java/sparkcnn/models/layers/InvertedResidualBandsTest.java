package sparkcnn.models.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Layer;
import sparkcnn.models.Model;

/**
 * The inverted residual body in row bands equals the same block run layer by layer in evaluation mode: 3x3 and
 * 5x5 depthwise at stride 1 and 2, with and without the expansion, odd image sizes, bands of one row up to the
 * whole image, batch 1 (kernels in parallel) and batch 3 (images in parallel).
 */
class InvertedResidualBandsTest {
  private static Model block(int in, int hidden, int out, int k, int stride, boolean expand, int h, int w) {
    Sequential body = expand
        ? Sequential.of(
            Sequential.of(new Conv2d(in, hidden, 1, 1, 0, 1, 1, false), new BatchNorm2d(hidden),
                new Activation(Activation.Kind.RELU6)),
            Sequential.of(new Conv2d(hidden, hidden, k, stride, (k - 1) / 2, 1, hidden, false), new BatchNorm2d(hidden),
                new Activation(Activation.Kind.RELU6)),
            Sequential.of(new Conv2d(hidden, out, 1, 1, 0, 1, 1, false), new BatchNorm2d(out)))
        : Sequential.of(
            Sequential.of(new Conv2d(in, in, k, stride, (k - 1) / 2, 1, in, false), new BatchNorm2d(in),
                new Activation(Activation.Kind.RELU6)),
            Sequential.of(new Conv2d(in, out, 1, 1, 0, 1, 1, false), new BatchNorm2d(out)));
    return new Model("block", body, in, h, w);
  }

  @Test
  void bandsMatchTheLayersRunOneByOne() {
    SplittableRandom rnd = new SplittableRandom(12);
    int[][] cases = {
        // in, hidden, out, k, stride, expand, h, w
        {4, 24, 4, 3, 1, 1, 13, 11}, {5, 30, 7, 3, 2, 1, 15, 9}, {6, 36, 6, 5, 1, 1, 9, 17}, {4, 24, 8, 5, 2, 1, 14, 14},
        {8, 8, 5, 3, 1, 0, 10, 7}, {3, 18, 3, 3, 2, 1, 1, 1}, {4, 16, 4, 3, 1, 1, 40, 33}};
    try {
      for (int[] c : cases) {
        FoldedTwin twin = new FoldedTwin(() -> block(c[0], c[1], c[2], c[3], c[4], c[5] == 1, c[6], c[7]), 5, rnd,
            0.1f);
        Layer fused = twin.folded.root().children().get(0);
        assertInstanceOf(InvertedResidualBands.class, fused, "the body was fused");
        int[] shape = {2, c[0], c[6], c[7]};
        int pad = (c[3] - 1) / 2;
        long p = (c[6] + 2 * pad - c[3]) / c[4] + 1;
        long q = (c[7] + 2 * pad - c[3]) / c[4] + 1;
        int hidden = c[5] == 1 ? c[1] : c[0];
        long macs = (c[5] == 1 ? 2L * hidden * c[0] * c[6] * c[7] : 0) + 2L * hidden * c[3] * c[3] * p * q
            + 2L * c[2] * hidden * p * q;
        assertEquals(macs, fused.macs(shape), "multiply-adds");
        for (int limit : new int[] {1, 2, 3, Integer.MAX_VALUE}) {
          InvertedResidualBands.bandLimit = limit;
          for (int n : new int[] {1, 3}) {
            twin.assertSameOutputs(rnd, new int[] {n, c[0], c[6], c[7]},
                java.util.Arrays.toString(c) + " band " + limit + " batch " + n);
          }
        }
      }
    } finally {
      InvertedResidualBands.bandLimit = Integer.MAX_VALUE;
    }
  }

  @Test
  void aBlockWithAnythingElseInsideIsNotFused() {
    Model m = new Model("se", Sequential.of(
        Sequential.of(new Conv2d(4, 8, 1, 1, 0, 1, 1, false), new BatchNorm2d(8)),
        Sequential.of(new Conv2d(8, 8, 3, 1, 1, 1, 8, false), new BatchNorm2d(8)),
        new Activation(Activation.Kind.SIGMOID),
        Sequential.of(new Conv2d(8, 4, 1, 1, 0, 1, 1, false), new BatchNorm2d(4))), 4, 6, 6).init(1);
    m.foldForInference();
    m.root().children().forEach(l -> assertEquals(false, l instanceof InvertedResidualBands, l.describe()));
    InvertedResidualBands fused = new InvertedResidualBands(null, new Conv2d(4, 4, 3, 1, 1, 1, 4, false),
        new Conv2d(4, 4, 1, 1, 0, 1, 1, false));
    assertThrows(IllegalStateException.class, () -> fused.forward(Tensor.zeros(1, 4, 3, 3), true));
  }

  @Test
  void aDilatedDepthwiseOrAFrozenPrefixKeepsTheLayers() {
    Model dilated = new Model("dilated", Sequential.of(
        Sequential.of(new Conv2d(4, 8, 1, 1, 0, 1, 1, false), new BatchNorm2d(8)),
        Sequential.of(new Conv2d(8, 8, 3, 1, 2, 2, 8, false), new BatchNorm2d(8)),
        Sequential.of(new Conv2d(8, 4, 1, 1, 0, 1, 1, false), new BatchNorm2d(4))), 4, 9, 9).init(1);
    dilated.foldForInference();
    assertEquals(false, dilated.root().children().get(0) instanceof InvertedResidualBands, "dilated depthwise");
    // A frozen prefix cuts the tree by child position: a cut inside a body must still find its layers.
    Model frozen = new Model("frozen", Sequential.of(
        Sequential.of(new Conv2d(4, 8, 1, 1, 0, 1, 1, false), new BatchNorm2d(8)),
        Sequential.of(new Conv2d(8, 8, 3, 1, 1, 1, 8, false), new BatchNorm2d(8)),
        Sequential.of(new Conv2d(8, 4, 1, 1, 0, 1, 1, false), new BatchNorm2d(4))), 4, 9, 9).init(1);
    frozen.freeze(4 * 8 + 2 * 8); // the expansion and its batch norm
    frozen.foldForInference();
    assertEquals(false, frozen.root().children().get(0) instanceof InvertedResidualBands, "frozen prefix");
  }
}
