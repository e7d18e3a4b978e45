package sparkcnn.models.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;
import sparkcnn.models.Summary;

/**
 * One inference forward of each ImageNet-size network at its published resolution, batch 1, in the test heap
 * (-Xmx3g). A network whose parameters, gradients and per-layer output buffers (every layer keeps its own, from
 * {@link Summary}) would not fit in 85% of the heap is skipped with those numbers: today that is EfficientNet-B7
 * at 600x600 (about 4 GB of activations).
 */
class RealResolutionTest {
  static Stream<String> imagenetNetworks() {
    return Zoo.names().stream().filter(n -> Zoo.entry(n).classes() == 1000);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("imagenetNetworks")
  void forwardAtPublishedResolution(String name) {
    ModelSpec spec = Zoo.spec(name);
    Model m = Zoo.build(spec);
    Summary summary = Summary.of(m);
    long need = summary.activationBytes() + 3L * Float.BYTES * summary.params();
    long heap = Runtime.getRuntime().maxMemory();
    assumeTrue(need < 0.85 * heap, String.format("%s: skipped, needs about %.1f GB (%.1f GB of layer outputs) but the "
        + "test heap is %.1f GB", name, need / 1e9, summary.activationBytes() / 1e9, heap / 1e9));
    m.init(3);
    Tensor x = Tensor.zeros(1, spec.channels(), spec.height(), spec.width());
    for (int i = 0; i < x.size(); i++) {
      x.set(i, (float) Math.sin(i * 0.01));
    }
    Tensor y = m.forward(x, false);
    assertArrayEquals(new int[] {1, 1000}, y.shape());
    for (int i = 0; i < y.size(); i++) {
      assertTrue(Float.isFinite(y.get(i)), name + " logit " + i);
    }
  }
}
