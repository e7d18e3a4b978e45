package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.SmallSteps;
import sparkcnn.models.zoo.Zoo;

/**
 * Layer buffers may start anywhere in their arrays ({@link Buffers} places large ones from a cache-line boundary):
 * every zoo entry's training step, with each buffer placed 5 floats into its array, gives the loss, input
 * gradient and parameter gradients it gives with each at index 0, and its folded inference graph the same outputs.
 */
class BuffersTest {
  static Stream<String> names() {
    return Zoo.names().stream().filter(n -> !Zoo.entry(n).family().equals("example"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void trainingAndInferenceAreTheSameWithEveryBufferPlacedPastItsArraysStart(String name) {
    Step at0 = step(name, 0);
    Step at5 = step(name, 5);
    assertEquals(at0.loss, at5.loss, 1e-5 * Math.max(1, Math.abs(at0.loss)), name + " loss");
    assertClose(at0.dx, at5.dx, name + " input gradient");
    assertClose(at0.grads, at5.grads, name + " parameter gradients");
    assertClose(at0.folded, at5.folded, name + " folded inference graph's outputs");
  }

  @Test
  void aBufferIsReusedWhileItsShapeHolds() {
    Tensor t = Buffers.ensure(null, 64, 64, 32, 32);
    assertTrue(t.data.length >= t.offset + t.size());
    assertSame(t, Buffers.ensure(t, 64, 64, 32, 32));
    assertNotSame(t, Buffers.ensure(t, 64, 64, 32, 16));
  }

  /**
   * A smaller shape (scoring's last, shorter pass) takes the same array, zeroed as a new buffer would be, and so
   * does the first shape again; a larger one gets a new array.
   */
  @Test
  void aSmallerShapeReusesTheArrayZeroedAndALargerOneGetsANewOne() {
    Tensor t = Buffers.ensure(null, 6, 8, 5, 5);
    java.util.Arrays.fill(t.data, t.offset, t.offset + t.size(), 3f);
    Tensor small = Buffers.ensure(t, 4, 8, 5, 5);
    assertSame(t.data, small.data);
    assertEquals(t.offset, small.offset);
    assertArrayEquals(new int[] {4, 8, 5, 5}, small.shape());
    for (int i = 0; i < small.size(); i++) {
      assertEquals(0f, small.data[small.offset + i], "zeroed at " + i);
    }
    java.util.Arrays.fill(small.data, small.offset, small.offset + small.size(), 2f);
    Tensor again = Buffers.ensure(small, 6, 8, 5, 5);
    assertSame(t.data, again.data);
    for (int i = 0; i < again.size(); i++) {
      assertEquals(0f, again.data[again.offset + i], "zeroed again at " + i);
    }
    Tensor large = Buffers.ensure(again, 7, 8, 5, 5);
    assertNotSame(t.data, large.data);
    assertEquals(7 * 8 * 5 * 5, large.size());
  }

  private record Step(double loss, float[] dx, float[] grads, float[] folded) {}

  /** One training step of the entry at its small input (SmallSteps), every new layer buffer placed that far in. */
  private static Step step(String name, int placement) {
    ModelSpec spec = SmallSteps.spec(name);
    int before = Buffers.placement;
    Buffers.placement = placement;
    try {
      Model m = Zoo.build(spec).init(1);
      int[] out = m.outputShape(2);
      SplittableRandom rnd = new SplittableRandom(2);
      Tensor x = SmallSteps.input(spec, rnd);
      int[] labels = SmallSteps.labels(out, rnd);
      Objective objective = new Objective(m, 0f);
      double loss = objective.forward(x, labels, true);
      Tensor dx = objective.backward(1f);
      float[] grads = m.grads().clone();
      m.foldForInference();
      return new Step(loss, dx.toArray(), grads, m.forward(x, false).toArray());
    } finally {
      Buffers.placement = before;
    }
  }

  /** Relative to the largest magnitude: kernels may take other paths (and sum in another order) at an offset. */
  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4 * scale + 1e-12, what + " at " + i + ": "
          + expected[i] + " against " + actual[i]);
    }
  }
}
