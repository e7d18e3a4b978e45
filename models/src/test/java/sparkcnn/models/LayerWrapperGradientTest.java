package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.Conv1d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Conv3d;
import sparkcnn.models.layers.Flatten;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.MaxUnpool2d;
import sparkcnn.models.layers.Pool2d;
import sparkcnn.models.layers.Sequential;

/** The 1D / 3D convolution and max-unpool layers: shapes, and gradients against finite differences. */
class LayerWrapperGradientTest {
  private static final Activation.Kind SMOOTH = ModelGradientTest.SMOOTH;

  @Test
  void conv1dOverSequences() {
    Model model = new Model("conv1d", Sequential.of(new Conv1d(3, 4, 3, 2, 1, 1, 1, true), new Activation(SMOOTH),
        new Conv1d(4, 4, 3, 1, 2, 2, 2, false), new Flatten(), new Linear(4 * 5, 3, true)), 3, 9).init(31);
    assertArrayEquals(new int[] {2, 3}, model.outputShape(2));
    ModelGradientTest.check(model, ModelGradientTest.randomInput(new SplittableRandom(32), 2, 3, 9), new int[] {1, 2},
        2e-2);
  }

  @Test
  void conv3dOverVolumes() {
    Model model = new Model("conv3d", Sequential.of(new Conv3d(2, 3, 3, 1, 1, 1, 1, true), new Activation(SMOOTH),
        new Conv3d(3, 2, 2, 2, 0, 1, 1, false), new Flatten(), new Linear(2 * 2 * 2 * 2, 3, true)), 2, 4, 4, 4)
        .init(33);
    assertArrayEquals(new int[] {2, 3}, model.outputShape(2));
    ModelGradientTest.check(model, ModelGradientTest.randomInput(new SplittableRandom(34), 2, 2, 4, 4, 4),
        new int[] {0, 2}, 2e-2);
  }

  @Test
  void maxUnpoolPutsValuesBackWhereThePoolFoundThem() {
    Pool2d pool = Pool2d.max(2, 2, 0);
    Model model = new Model("segnet-step", Sequential.of(new Conv2d(2, 3, 3, 1, 1, 1, 1, true), pool,
        new Conv2d(3, 3, 3, 1, 1, 1, 1, true), new Activation(SMOOTH), new MaxUnpool2d(pool), new Flatten(),
        new Linear(3 * 6 * 6, 3, true)), 2, 6, 6).init(35);
    assertArrayEquals(new int[] {2, 3}, model.outputShape(2));
    ModelGradientTest.check(model, ModelGradientTest.randomInput(new SplittableRandom(36), 2, 2, 6, 6),
        new int[] {1, 0}, 2e-2);
    Tensor x = Tensor.zeros(1, 1, 2, 2);
    x.set(3, 5f);
    Pool2d p = Pool2d.max(2, 2, 0);
    Tensor y = new MaxUnpool2d(p).forward(p.forward(x, false), false);
    assertEquals(5f, y.get(3));
    assertEquals(0f, y.get(0));
    assertThrows(IllegalArgumentException.class, () -> new MaxUnpool2d(Pool2d.avg(2, 2, 0, true)));
  }
}
