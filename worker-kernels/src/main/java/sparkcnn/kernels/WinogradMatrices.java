package sparkcnn.kernels;

/**
 * The matrices of Winograd's minimal filtering F(m, r) in one dimension, y = A^T [(G g) . (B^T d)], built by the
 * Cook-Toom construction from alpha - 1 interpolation points and the point at infinity (alpha = m + r - 1):
 * A^T[i][j] = p_j^i, G[j][k] = p_j^k / prod_{l != j} (p_j - p_l) and B^T's row j the coefficients of
 * prod_{l != j} (x - p_l), the infinite point's row and column picking the leading coefficients. This is the
 * transpose of Toom-Cook's linear convolution (Lavin and Gray 2016, section 4; Barabasz et al. 2020 on the
 * points): correlation y_i = sum_k d_{i+k} g_k. Points 0, 1, -1, 2, -2, 1/2, -1/2 in that order, the usual ones
 * for F(2, 3), F(4, 3) and F(4, 5), whose errors in float stay within a few units in the fourth digit.
 *
 * <p>A^T and B^T are kept as sparse rows (their zeros skipped in the scalar transforms); G as the matrix that
 * transforms a whole r x r filter.
 */
final class WinogradMatrices {
  private static final double[] POINTS = {0, 1, -1, 2, -2, 0.5, -0.5};

  final int m;
  final int r;
  final int alpha;
  /** Row i of A^T (m x alpha): its nonzero columns and their values. */
  final int[][] atCols;
  final float[][] atVals;
  /** Row a of A (alpha x m, the transpose of A^T): its nonzero columns and their values (weight gradients). */
  final int[][] aCols;
  final float[][] aVals;
  /** Row j of B^T (alpha x alpha): its nonzero columns and their values. */
  final int[][] btCols;
  final float[][] btVals;
  /** G (alpha x r), in double. */
  final double[][] g;
  /** G x G (alpha^2 x r^2): {@link #filterTransform}. */
  final float[] filter;

  private WinogradMatrices(int m, int r) {
    if (m < 1 || r < 1 || m + r - 2 > POINTS.length) {
      throw new IllegalArgumentException("Winograd F(" + m + ", " + r + "): needs m + r - 2 <= " + POINTS.length);
    }
    this.m = m;
    this.r = r;
    this.alpha = m + r - 1;
    int finite = alpha - 1;
    double[][] at = new double[m][alpha];
    double[][] bt = new double[alpha][alpha];
    g = new double[alpha][r];
    for (int j = 0; j < finite; j++) {
      double p = POINTS[j];
      double scale = 1;
      double[] poly = {1};
      for (int l = 0; l < finite; l++) {
        if (l != j) {
          scale *= p - POINTS[l];
          poly = timesLinear(poly, POINTS[l]);
        }
      }
      bt[j] = java.util.Arrays.copyOf(poly, alpha);
      for (int i = 0; i < m; i++) {
        at[i][j] = Math.pow(p, i);
      }
      for (int k = 0; k < r; k++) {
        g[j][k] = Math.pow(p, k) / scale;
      }
    }
    double[] all = {1};
    for (int l = 0; l < finite; l++) {
      all = timesLinear(all, POINTS[l]);
    }
    bt[finite] = all;
    at[m - 1][finite] = 1;
    g[finite][r - 1] = 1;
    atCols = new int[m][];
    atVals = new float[m][];
    for (int i = 0; i < m; i++) {
      atCols[i] = nonzero(at[i]);
      atVals[i] = values(at[i], atCols[i]);
    }
    aCols = new int[alpha][];
    aVals = new float[alpha][];
    for (int a = 0; a < alpha; a++) {
      double[] row = new double[m];
      for (int i = 0; i < m; i++) {
        row[i] = at[i][a];
      }
      aCols[a] = nonzero(row);
      aVals[a] = values(row, aCols[a]);
    }
    btCols = new int[alpha][];
    btVals = new float[alpha][];
    for (int j = 0; j < alpha; j++) {
      btCols[j] = nonzero(bt[j]);
      btVals[j] = values(bt[j], btCols[j]);
    }
    filter = filterTransform();
  }

  private static final WinogradMatrices F2_3 = new WinogradMatrices(2, 3);
  private static final WinogradMatrices F4_3 = new WinogradMatrices(4, 3);
  private static final WinogradMatrices F4_5 = new WinogradMatrices(4, 5);

  /** F(m, r), shared: F(2, 3), F(4, 3) and F(4, 5) are built once, others on each call. */
  static WinogradMatrices of(int m, int r) {
    if (m == 2 && r == 3) {
      return F2_3;
    }
    if (m == 4) {
      if (r == 3) {
        return F4_3;
      }
      if (r == 5) {
        return F4_5;
      }
    }
    return new WinogradMatrices(m, r);
  }

  /** The coefficients, lowest power first, of poly(x) * (x - root). */
  private static double[] timesLinear(double[] poly, double root) {
    double[] out = new double[poly.length + 1];
    for (int i = 0; i < poly.length; i++) {
      out[i + 1] += poly[i];
      out[i] -= root * poly[i];
    }
    return out;
  }

  private static int[] nonzero(double[] row) {
    return java.util.stream.IntStream.range(0, row.length).filter(i -> row[i] != 0).toArray();
  }

  private static float[] values(double[] row, int[] cols) {
    float[] v = new float[cols.length];
    for (int i = 0; i < cols.length; i++) {
      v[i] = (float) row[cols[i]];
    }
    return v;
  }

  /**
   * The filter transform as one matrix: U_(j, l) = sum over taps (a, b) of G[j][a] G[l][b] w[a][b], row (j alpha +
   * l), column (a r + b), alpha^2 x r^2 row-major. Applied to all of a layer's filters at once as one GEMM.
   */
  private float[] filterTransform() {
    float[] t = new float[alpha * alpha * r * r];
    for (int j = 0; j < alpha; j++) {
      for (int l = 0; l < alpha; l++) {
        for (int a = 0; a < r; a++) {
          for (int b = 0; b < r; b++) {
            t[(j * alpha + l) * r * r + a * r + b] = (float) (g[j][a] * g[l][b]);
          }
        }
      }
    }
    return t;
  }
}
