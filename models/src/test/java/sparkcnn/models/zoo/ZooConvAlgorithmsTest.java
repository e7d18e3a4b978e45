package sparkcnn.models.zoo;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Conv2dKernels;
import sparkcnn.kernels.ConvAlgorithm;
import sparkcnn.kernels.ConvAlgorithm.Pass;
import sparkcnn.kernels.ConvGeom;
import sparkcnn.kernels.ConvTuner;
import sparkcnn.models.ReceptiveField;
import sparkcnn.models.layers.Conv2d;

/**
 * Every convolution configuration of the whole zoo (channels, kernel, stride, padding, dilation, groups, batch 1)
 * through the tuner, all three passes: what it chooses is supported and gives what the default algorithm gives.
 * The candidates' times are made up (a hash of geometry and algorithm) rather than measured, so that every
 * candidate wins somewhere and the test costs two kernel calls per pass, not a timing session.
 * Spatial sizes are reduced (each network at the smallest of 32, 64, 96, 128 and its own size that it accepts) so the whole zoo fits in the test budget; the algorithms' choice of path does not depend on them.
 */
class ZooConvAlgorithmsTest {
  @Test
  void theTunerReturnsACorrectAlgorithmForEveryZooGeometry() {
    Set<ConvGeom> geometries = new LinkedHashSet<>();
    for (String name : Zoo.names()) {
      ModelSpec own = Zoo.spec(name);
      for (int size : new int[] {32, 64, 96, 128, own.height()}) {
        int s = Math.min(size, own.height());
        try {
          ModelSpec spec = new ModelSpec(own.name(), own.classes(), own.channels(), s, s, own.scaling());
          Zoo.build(spec).root().trace(new int[] {1, own.channels(), s, s}, ReceptiveField.PIXEL, (layer, in, out) -> {
            if (layer instanceof Conv2d conv) {
              geometries.add(conv.geometry(in));
            }
          });
          break;
        } catch (IllegalArgumentException tooSmall) {
          // try the next size
        }
      }
    }
    assertTrue(geometries.size() > 200, geometries.size() + " geometries");
    int[] chosenOtherwise = {0};
    for (ConvGeom g : geometries) {
      for (Pass pass : Pass.values()) {
        ConvAlgorithm chosen = ConvTuner.choose(g, pass, (a, run) -> madeUpSeconds(g, pass, a)).chosen();
        assertTrue(chosen.supports(g, pass), chosen + " for " + pass + " " + g);
        ConvAlgorithm heuristic = ConvAlgorithm.heuristic(g, pass);
        if (chosen != heuristic) {
          chosenOtherwise[0]++;
          assertSame(g, pass, chosen, heuristic);
        }
      }
    }
    assertTrue(chosenOtherwise[0] > geometries.size() / 2, chosenOtherwise[0] + " passes chose another algorithm");
    System.out.println(geometries.size() + " zoo convolution geometries through the tuner; " + chosenOtherwise[0]
        + " passes chose another algorithm than the default, and computed the same");
  }

  private static double madeUpSeconds(ConvGeom g, Pass pass, ConvAlgorithm a) {
    return new SplittableRandom(31L * g.hashCode() + 7L * pass.ordinal() + a.ordinal()).nextDouble();
  }

  /** The chosen algorithm computes what the default one does (itself tested against the naive loops). */
  private static void assertSame(ConvGeom g, Pass pass, ConvAlgorithm a, ConvAlgorithm b) {
    SplittableRandom rnd = new SplittableRandom(g.hashCode());
    float[] x = random(rnd, g.inputSize());
    float[] w = random(rnd, g.weightSize());
    float[] dy = random(rnd, g.outputSize());
    float[] ra;
    float[] rb;
    switch (pass) {
      case FORWARD -> {
        ra = new float[g.outputSize()];
        rb = new float[g.outputSize()];
        Conv2dKernels.forward(x, 0, w, 0, null, 0, ra, 0, g, a);
        Conv2dKernels.forward(x, 0, w, 0, null, 0, rb, 0, g, b);
      }
      case BACKWARD_DATA -> {
        ra = new float[g.inputSize()];
        rb = new float[g.inputSize()];
        Conv2dKernels.backwardInput(dy, 0, w, 0, ra, 0, g, a);
        Conv2dKernels.backwardInput(dy, 0, w, 0, rb, 0, g, b);
      }
      default -> {
        ra = new float[g.weightSize()];
        rb = new float[g.weightSize()];
        Conv2dKernels.backwardWeights(x, 0, dy, 0, ra, 0, g, a);
        Conv2dKernels.backwardWeights(x, 0, dy, 0, rb, 0, g, b);
      }
    }
    double scale = 1;
    for (float v : rb) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < ra.length; i++) {
      if (!(Math.abs(ra[i] - rb[i]) <= 1e-4 * scale)) { // the message only when it fails: it costs more than the check
        fail(a + " vs " + b + " " + pass + " " + g + " at " + i + ": " + ra[i] + " vs " + rb[i]);
      }
    }
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextDouble() - 0.5);
    }
    return v;
  }
}
