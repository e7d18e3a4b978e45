package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;

/** The per-pixel loss with an ignore index and class weights, on logits (N, K, H, W), worked out by hand. */
class PixelLossTest {
  @Test
  void ignoredPixelsAreNotCountedAndWeightsGiveAWeightedMean() {
    // One image, 3 classes, 1x3 pixels. Pixel 0: logits (ln 2, 0, 0) -> p = (1/2, 1/4, 1/4), label 0, loss ln 2.
    // Pixel 1: all 0 -> p = 1/3 each, label 2, loss ln 3. Pixel 2: label 255 (ignored).
    float ln2 = (float) Math.log(2);
    Tensor logits = new Tensor(new float[] {ln2, 0, 5, 0, 0, 1, 0, 0, 2}, 0, 1, 3, 1, 3);
    int[] labels = {0, 2, 255};
    SoftmaxCrossEntropy plainMean = new SoftmaxCrossEntropy(0f, 255, null);
    assertEquals((Math.log(2) + Math.log(3)) / 2, plainMean.forward(logits, labels), 1e-6);
    assertEquals(2, plainMean.count());
    assertEquals(1, plainMean.correct(), "pixel 0 is right (class 0), pixel 1 is a tie resolved to class 0");
    SoftmaxCrossEntropy weighted = new SoftmaxCrossEntropy(0f, 255, new float[] {1f, 1f, 3f});
    assertEquals((Math.log(2) + 3 * Math.log(3)) / 4, weighted.forward(logits, labels), 1e-6);
    Tensor d = weighted.backward();
    // Pixel 0's class-0 gradient: w_0 (p - 1) / sum w = (1/2 - 1) / 4; the ignored pixel 2 gets none.
    assertEquals(-0.125, d.data[0], 1e-6);
    assertEquals(3 * (1 / 3.0 - 1) / 4, d.data[2 * 3 + 1], 1e-6);
    for (int c = 0; c < 3; c++) {
      assertEquals(0f, d.data[c * 3 + 2]);
    }
  }
}
