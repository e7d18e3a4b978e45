package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Cook-Toom matrices compute correlation: in one dimension y = A^T [(G g) . (B^T d)] equals y_i = sum_k
 * d_{i+k} g_k, and in two the filter transform, alpha^2 x r^2, is G x G. Checked in double on random data, so a
 * wrong sign or a misplaced point fails by far more than rounding.
 */
class WinogradMatricesTest {
  @ParameterizedTest
  @CsvSource({"2, 3", "4, 3", "4, 5", "2, 5", "3, 2"})
  void oneDimensionalCorrelation(int m, int r) {
    WinogradMatrices t = WinogradMatrices.of(m, r);
    SplittableRandom rnd = new SplittableRandom(m * 31 + r);
    for (int trial = 0; trial < 20; trial++) {
      double[] d = new double[t.alpha];
      double[] g = new double[r];
      for (int i = 0; i < d.length; i++) {
        d[i] = rnd.nextDouble(-1, 1);
      }
      for (int i = 0; i < r; i++) {
        g[i] = rnd.nextDouble(-1, 1);
      }
      double[] prod = new double[t.alpha];
      for (int j = 0; j < t.alpha; j++) {
        double gg = 0;
        for (int k = 0; k < r; k++) {
          gg += t.g[j][k] * g[k];
        }
        double bd = 0;
        for (int p = 0; p < t.btCols[j].length; p++) {
          bd += t.btVals[j][p] * d[t.btCols[j][p]];
        }
        prod[j] = gg * bd;
      }
      for (int i = 0; i < m; i++) {
        double y = 0;
        for (int p = 0; p < t.atCols[i].length; p++) {
          y += t.atVals[i][p] * prod[t.atCols[i][p]];
        }
        double expected = 0;
        for (int k = 0; k < r; k++) {
          expected += d[i + k] * g[k];
        }
        assertEquals(expected, y, 1e-5, "F(" + m + ", " + r + ") output " + i);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"2, 3", "4, 3", "4, 5"})
  void theFilterTransformIsGTimesG(int m, int r) {
    WinogradMatrices t = WinogradMatrices.of(m, r);
    for (int j = 0; j < t.alpha; j++) {
      for (int l = 0; l < t.alpha; l++) {
        for (int a = 0; a < r; a++) {
          for (int b = 0; b < r; b++) {
            assertEquals(t.g[j][a] * t.g[l][b], t.filter[(j * t.alpha + l) * r * r + a * r + b], 1e-7);
          }
        }
      }
    }
  }
}
