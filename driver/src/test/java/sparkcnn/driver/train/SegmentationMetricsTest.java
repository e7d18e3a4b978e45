package sparkcnn.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Pixel accuracy and IoU from a pixel confusion matrix, worked out by hand. */
class SegmentationMetricsTest {
  @Test
  void handComputedExample() {
    // rows: truth, columns: predicted. Class 2 appears in neither; class 3 is predicted once, never true.
    long[] confusion = {
        5, 1, 0, 1,
        2, 3, 0, 0,
        0, 0, 0, 0,
        0, 0, 0, 0};
    SegmentationMetrics m = SegmentationMetrics.of(confusion, 4);
    assertEquals(8 / 12.0, m.pixelAccuracy(), 1e-12);
    // Class 0: TP 5, truth 7, predicted 7 -> 5 / (7 + 7 - 5) = 5/9. Class 1: TP 3, truth 5, predicted 4 -> 3/6.
    assertEquals(5 / 9.0, m.iou()[0], 1e-12);
    assertEquals(0.5, m.iou()[1], 1e-12);
    assertTrue(Double.isNaN(m.iou()[2]), "absent from truth and predictions: no IoU");
    assertEquals(0.0, m.iou()[3], 1e-12);
    assertEquals(3, m.classesInMean());
    assertEquals((5 / 9.0 + 0.5 + 0) / 3, m.meanIou(), 1e-12);
  }

  @Test
  void aPerfectPredictionHasIouOneForEveryPresentClass() {
    SegmentationMetrics m = SegmentationMetrics.of(new long[] {4, 0, 0, 9}, 2);
    assertEquals(1.0, m.meanIou());
    assertEquals(1.0, m.pixelAccuracy());
  }
}
