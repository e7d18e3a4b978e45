package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GemmTest {
  @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
  @CsvSource({
      "false,false,1,1,1", "false,false,7,13,5", "true,false,37,41,300", "false,true,6,32,256",
      "true,true,65,97,513", "false,false,130,70,1", "true,false,1,200,33", "false,true,250,3,600",
      "true,true,11,1100,40", "false,false,300,300,300",
      // Past one block of A rows (MC, up to 480), of depth (KC, up to 384) and of B columns (NC, up to 8192).
      "true,false,500,40,400", "false,false,7,8300,130",
      // Several bands of B panels (half of L2 each: 512 columns at depth 256 on a 1 MB L2), the last one partial
      // and ending in a part panel, and rows off the tile.
      "false,false,45,1500,300"})
  void matchesNaiveWithOffsetsStridesAlphaBeta(boolean transA, boolean transB, int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k);
    int lda = (transA ? m : k) + 3;
    int ldb = (transB ? k : n) + 5;
    int ldc = n + 2;
    float[] a = Rand.floats(rnd, 4 + (transA ? k : m) * lda);
    float[] b = Rand.floats(rnd, 9 + (transB ? n : k) * ldb);
    float[] c = Rand.floats(rnd, 1 + m * ldc);
    float[] expected = c.clone();
    GemmNaive.gemm(transA, transB, m, n, k, 0.75f, a, 4, lda, b, 9, ldb, -0.5f, expected, 1, ldc);
    Gemm.gemm(transA, transB, m, n, k, 0.75f, a, 4, lda, b, 9, ldb, -0.5f, c, 1, ldc);
    Rand.assertClose(expected, c, 1e-4, "gemm");
  }

  /**
   * Depths around the register tile's four steps a turn: whole turns only (4, 64), turns and then the last one to
   * three steps added on (65-67, 131), short depths off the turn done one step at a time (7, 30); C garbage with
   * beta = 0, so the added-on steps must add to the turns' stores and not to what C held; full tiles and edge tiles.
   */
  @ParameterizedTest
  @CsvSource({"19,40,4", "19,40,7", "19,40,30", "16,64,64", "19,40,65", "16,64,66", "19,40,67", "16,64,131"})
  void depthsOffTheTilesFourStepTurnMatchNaive(int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(k);
    float[] a = Rand.floats(rnd, m * k);
    float[] b = Rand.floats(rnd, k * n);
    float[] expected = new float[m * n];
    float[] c = new float[m * n];
    java.util.Arrays.fill(c, Float.NaN);
    GemmNaive.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);
    Gemm.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
    Rand.assertClose(expected, c, 1e-4, "gemm depth " + k);
  }

  @Test
  void betaZeroIgnoresGarbageInC() {
    float[] a = {1, 2, 3, 4};
    float[] b = {5, 6, 7, 8};
    float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
    Gemm.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
    Rand.assertClose(new float[] {19, 22, 43, 50}, c, 0, "gemm beta=0");
  }

  @Test
  void blockingFollowsThisMachinesCaches() {
    int[] b = Gemm.blocking(); // kc, mc, nc, mr, nr
    assertTrue(b[0] % 16 == 0 && b[0] >= 128 && b[0] <= 384, "kc " + b[0]);
    assertTrue(b[1] % b[3] == 0 && b[2] % b[4] == 0, "mc, nc in whole register tiles");
    // A B micro-panel within L1 and an A block within an eighth of L2, unless the floors (128, 4 tiles) win.
    assertTrue(b[0] == 128 || 4L * b[0] * b[4] <= CacheSizes.l1(), "kc x nr within L1");
    assertTrue(b[1] == 4 * b[3] || 4L * b[1] * b[0] <= CacheSizes.l2() / 8, "mc x kc in an eighth of L2");
    assertTrue(Gemm.roundDown(1000, 16, 64, 512) == 512 && Gemm.roundDown(100, 16, 64, 512) == 96
        && Gemm.roundDown(10, 16, 64, 512) == 64);
  }

  /**
   * Three bands of B's panels at the full block depth KC, however large this machine's L2 (in one block of
   * columns where NC holds three bands: 512 columns a band and 2048 a block here), the last one partial and ending
   * in part of a panel; a second, shallower depth block; rows off the tile; C written at a stride past its width.
   */
  @Test
  void bandsOfPanelsMatchNaive() {
    int m = 45;
    int kc = Gemm.blocking()[0];
    int k = kc + 17;
    int n = 2 * Gemm.halfL2Columns(kc) + Gemm.NR / 2 + 3;
    SplittableRandom rnd = new SplittableRandom(11);
    float[] a = Rand.floats(rnd, m * k);
    float[] b = Rand.floats(rnd, k * n);
    float[] expected = Rand.floats(rnd, m * (n + 1));
    float[] c = expected.clone();
    GemmNaive.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n + 1);
    Gemm.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n + 1);
    Rand.assertClose(expected, c, 1e-4, "gemm over bands");
  }

  @Test
  void multithreadedSplitMatchesSerialOnBothSplitAxes() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int[] mnk : new int[][] {{64, 900, 70}, {900, 64, 70}}) {
      int m = mnk[0];
      int n = mnk[1];
      int k = mnk[2];
      float[] a = Rand.floats(rnd, m * k);
      float[] b = Rand.floats(rnd, k * n);
      float[] expected = new float[m * n];
      float[] c = new float[m * n];
      GemmNaive.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);
      Gemm.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
      Rand.assertClose(expected, c, 1e-4, "gemm " + m + "x" + n + "x" + k);
    }
  }

  @Test
  void badOperandsNameTheOperandAndShape() {
    float[] small = new float[5];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemm(false, false, 2, 3, 4, 1f, small, 0, 4, new float[12], 0, 3, 0f, new float[6], 0, 3));
    assertTrue(e.getMessage().contains("gemm A (2 x 4, ld 4)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemm(false, false, 2, 3, 4, 1f, new float[8], 0, 4, new float[12], 0, 2, 0f, new float[6], 0, 3));
    assertTrue(e.getMessage().contains("gemm B") && e.getMessage().contains("leading dimension"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemm(false, false, -1, 3, 4, 1f, small, 0, 4, small, 0, 3, 0f, small, 0, 3));
    assertTrue(e.getMessage().contains("gemm m"), e.getMessage());
  }

  /**
   * Depths: whole four-step turns of the register tile (300), turns and the last three steps added on (67), short
   * and one step at a time (30), two depth blocks, the second of turns and two steps added on (450 = KC + 66 where
   * KC is 384; other blocking still splits it into turns and a rest).
   */
  @ParameterizedTest
  @ValueSource(ints = {300, 67, 30, 450})
  void packedAndRowOffsetVariantsMatchNaive(int k) {
    SplittableRandom rnd = new SplittableRandom(9 + k);
    int m = 13;
    int n = 70;
    // B's rows live at scattered offsets inside a larger array (as a convolution's taps do in a padded image).
    int[] rows = new int[k];
    for (int p = 0; p < k; p++) {
      rows[p] = p * 97 + (p % 5);
    }
    float[] store = Rand.floats(rnd, rows[k - 1] + n + Gemm.NR + 10);
    float[] bDense = new float[k * n];
    for (int p = 0; p < k; p++) {
      System.arraycopy(store, 3 + rows[p], bDense, p * n, n);
    }
    float[] a = Rand.floats(rnd, m * k);
    float[] expected = new float[m * n];
    GemmNaive.gemm(false, false, m, n, k, 1f, a, 0, k, bDense, 0, n, 0f, expected, 0, n);

    float[] packedA = new float[Gemm.packedSizeA(m, k) + 4];
    Gemm.packPanels(false, m, k, a, 0, k, packedA, 4);
    float[] c = Rand.floats(rnd, m * n);
    Gemm.gemmRowOffsets(m, n, k, packedA, 4, store, 3, rows, c, 0, n);
    Rand.assertClose(expected, c, 1e-4, "gemmRowOffsets");

    // The same product with B pre-packed into full-k panels.
    float[] packedB = new float[Gemm.packedPanels(n) * Gemm.NR * k];
    for (int j = 0; j < n; j++) {
      for (int p = 0; p < k; p++) {
        packedB[(j / Gemm.NR) * k * Gemm.NR + p * Gemm.NR + j % Gemm.NR] = bDense[p * n + j];
      }
    }
    c = Rand.floats(rnd, m * n);
    Gemm.gemmPackedB(false, m, n, k, 1f, a, 0, k, packedB, 0, 0f, c, 0, n);
    Rand.assertClose(expected, c, 1e-4, "gemmPackedB");
  }

  /**
   * B packed once ({@link Gemm#packedB}, both orientations, offsets and leading dimensions), then products on it
   * split across threads by columns (few rows) and by rows, accumulating with beta.
   */
  @ParameterizedTest(name = "transB={0} m={1} n={2} k={3}")
  @CsvSource({"true,256,1024,300", "true,2,70,513", "false,900,64,70", "false,1,1,1", "true,64,900,70",
      "true,5,33,400"})
  void packedOnceMatchesNaiveOnEitherSplit(boolean transB, int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(m * 7L + n + k);
    int ldb = (transB ? k : n) + 3;
    float[] a = Rand.floats(rnd, m * k);
    float[] b = Rand.floats(rnd, 2 + (transB ? n : k) * ldb);
    float[] packed = Gemm.packedB(transB, k, n, b, 2, ldb, null);
    assertEquals(Gemm.packedPanels(n) * Gemm.NR * k, packed.length);
    // A repack goes into the same array when its size fits, and overwrites all of it.
    java.util.Arrays.fill(packed, Float.NaN);
    assertTrue(packed == Gemm.packedB(transB, k, n, b, 2, ldb, packed));
    float[] c = Rand.floats(rnd, m * n);
    float[] expected = c.clone();
    GemmNaive.gemm(false, transB, m, n, k, 1.5f, a, 0, k, b, 2, ldb, 0.5f, expected, 0, n);
    OnThreads.each(t -> Gemm.gemmPackedB(false, m, n, k, 1.5f, a, 0, k, packed, 0, 0.5f, c, 0, n), 2);
    Rand.assertClose(expected, c, 1e-4, "gemmPackedB on packedB");
  }

  /**
   * A packed once by packPanels (either orientation, at an offset), then products on it with B in place (both
   * orientations) and in panels, on 1 and 2 threads: past one block of A rows (MC) and of depth (KC), rows off the
   * register tile's multiple (a zero-padded last panel), and both split axes. C starts as NaN: it is overwritten.
   */
  @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
  @CsvSource({"false,false,13,70,300", "true,true,500,40,400", "false,true,900,64,70", "true,false,64,900,70",
      "false,false,1,1,1", "true,false,7,8300,130", "false,true,250,3,600"})
  void packedAMatchesNaiveWithBInPlaceOrPacked(boolean transA, boolean transB, int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(m * 13L + n * 3L + k);
    int lda = (transA ? m : k) + 2;
    int ldb = (transB ? k : n) + 3;
    float[] a = Rand.floats(rnd, 1 + (transA ? k : m) * lda);
    float[] b = Rand.floats(rnd, 5 + (transB ? n : k) * ldb);
    float[] expected = new float[m * n];
    GemmNaive.gemm(transA, transB, m, n, k, 1f, a, 1, lda, b, 5, ldb, 0f, expected, 0, n);
    float[] packedA = new float[7 + Gemm.packedSizeA(m, k)];
    Gemm.packPanels(transA, m, k, a, 1, lda, packedA, 7);
    float[] packedB = Gemm.packedB(transB, k, n, b, 5, ldb, null);
    OnThreads.each(t -> {
      float[] c = new float[m * n];
      java.util.Arrays.fill(c, Float.NaN);
      Gemm.gemmPackedA(transB, m, n, k, packedA, 7, b, 5, ldb, c, 0, n);
      Rand.assertClose(expected, c, 1e-4, "gemmPackedA, B in place, " + t + " thread(s)");
      java.util.Arrays.fill(c, Float.NaN);
      Gemm.gemmPackedA(false, m, n, k, packedA, 7, packedB, 0, -1, c, 0, n);
      Rand.assertClose(expected, c, 1e-4, "gemmPackedA, B packed, " + t + " thread(s)");
    }, 1, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemmPackedA(false, m, n, k, new float[Gemm.packedSizeA(m, k) - 1], 0, packedB, 0, -1,
            new float[m * n], 0, n));
    assertTrue(e.getMessage().contains("gemm packed A (" + m + " x " + k + ")"), e.getMessage());
  }

  /**
   * A's rows at offsets (C = A op(B)), accumulating onto C, split across threads. The widths cover whole
   * two-vector panels, a panel one vector wide or narrower (the narrow tile on AVX-512), and row counts off the
   * tiles' multiples.
   */
  @ParameterizedTest(name = "m={0} n={1} k={2}")
  @CsvSource({"45,70,300", "45,16,300", "32,16,520", "17,1,40", "8,40,33", "160,16,70"})
  void rowOffsetsAMatchNaive(int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(m * 1000L + n);
    int[] aRows = new int[m];
    for (int i = 0; i < m; i++) {
      aRows[i] = (m - 1 - i) * (k + 11);
    }
    float[] aStore = Rand.floats(rnd, m * (k + 11) + 2);
    float[] aDense = new float[m * k];
    for (int i = 0; i < m; i++) {
      System.arraycopy(aStore, 2 + aRows[i], aDense, i * k, k);
    }
    float[] bt = Rand.floats(rnd, n * k); // op(B) = bt^T
    float[] c = Rand.floats(rnd, m * n + 3);
    float[] expected = c.clone();
    GemmNaive.gemm(false, true, m, n, k, 1f, aDense, 0, k, bt, 0, k, 1f, expected, 1, n);
    Gemm.gemmRowOffsetsA(m, n, k, aStore, 2, aRows, java.util.stream.IntStream.range(0, k).toArray(), true, bt, 0, k,
        1f, c, 1, n);
    Rand.assertClose(expected, c, 1e-4, "gemmRowOffsetsA");

    // A's columns through a map (a weight gradient's outputs at their pixels): stride 2 with a jump every 7, so
    // the k-blocks past the first (k > KC) must start at their own place in the map.
    int[] map = new int[k];
    for (int p = 0; p < k; p++) {
      map[p] = 2 * p + 3 * (p / 7);
    }
    int rowLen = map[k - 1] + 1;
    for (int i = 0; i < m; i++) {
      aRows[i] = (m - 1 - i) * (rowLen + 5);
    }
    float[] mapped = Rand.floats(rnd, m * (rowLen + 5) + 2);
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        aDense[i * k + p] = mapped[2 + aRows[i] + map[p]];
      }
    }
    float[] c2 = c.clone();
    float[] expected2 = c.clone();
    GemmNaive.gemm(false, true, m, n, k, 1f, aDense, 0, k, bt, 0, k, 1f, expected2, 1, n);
    Gemm.gemmRowOffsetsA(m, n, k, mapped, 2, aRows, map, true, bt, 0, k, 1f, c2, 1, n);
    Rand.assertClose(expected2, c2, 1e-4, "gemmRowOffsetsA with a column map");
    assertThrows(IllegalArgumentException.class, () -> Gemm.gemmRowOffsetsA(m, n, k, mapped, 2, aRows,
        new int[k - 1], true, bt, 0, k, 1f, c2, 1, n));
  }

  /**
   * GemmNT's dot-product tiles: sizes off the 4 x 4 tile; sweeps of one, two, three and five vectors (the tile
   * takes two a turn, then the odd one: k = 48 and 80 are one sweep each), a tail shorter than a vector (a sweep of
   * its own after whole vectors: k = 47); several cache chunks and the threaded split; two calls adding into one
   * accumulator.
   */
  @ParameterizedTest(name = "m={0} n={1} k={2}")
  @CsvSource({"1,1,1", "3,5,17", "4,4,16", "4,4,32", "4,4,48", "3,5,80", "5,7,47", "37,45,700", "6,144,3000",
      "150,20,9001"})
  void dotProductTilesMatchNaive(int m, int n, int k) {
    SplittableRandom rnd = new SplittableRandom(m * 7919L + n * 31L + k);
    int[] aRows = new int[m];
    int[] bRows = new int[n];
    for (int i = 0; i < m; i++) {
      aRows[i] = 5 + (m - 1 - i) * (k + 3); // reversed, with gaps between rows
    }
    for (int j = 0; j < n; j++) {
      bRows[j] = 1 + j * (k + 9);
    }
    float[] a = Rand.floats(rnd, m * (k + 3) + 5);
    float[] b = Rand.floats(rnd, n * (k + 9) + 1);
    float[] c = Rand.floats(rnd, 2 + m * (n + 1));
    float[] expected = c.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          s += (double) a[aRows[i] + p] * b[bRows[j] + p];
        }
        expected[2 + i * (n + 1) + j] += (float) (2 * s);
      }
    }
    float[] blocked = c.clone();
    float[] acc = new float[GemmNT.accumulatorSize(m, n)];
    GemmNT.accumulate(m, n, k, a, aRows, b, bRows, acc);
    GemmNT.accumulate(m, n, k, a, aRows, b, bRows, acc);
    GemmNT.reduceInto(acc, m, n, c, 2, n + 1);
    Rand.assertClose(expected, c, 1e-4, "GemmNT");
    // In blocks of a sixteenth of L2: 150 x 20 cut into row blocks, 6 x 144 into column blocks, both uneven.
    GemmNT.Blocks blocks = new GemmNT.Blocks(m, n);
    float[] blockAcc = new float[blocks.accumulatorSize];
    blocks.accumulate(k, a, aRows, b, bRows, blockAcc);
    blocks.accumulate(k, a, aRows, b, bRows, blockAcc);
    blocks.reduceInto(blockAcc, blocked, 2, n + 1);
    Rand.assertClose(expected, blocked, 1e-4, "GemmNT.Blocks");
  }

  /**
   * Rows that all sit at one place in their cache lines, in arrays whose line boundaries are known (humongous under
   * G1): sweeps of 2048 indices and more start with a head of up to 15 so that the vector loads begin on a
   * boundary. Heads then tails of several lengths, the threaded split, and a short sweep that takes no head,
   * against the naive sums.
   */
  @ParameterizedTest(name = "m={0} n={1} k={2}")
  @CsvSource({"4,4,2048", "5,7,2061", "37,12,3000", "4,4,40"})
  void dotProductsFromALineBoundaryMatchNaive(int m, int n, int k) {
    long h = CacheLines.humongousFloats();
    int stride = (k + 15) / 16 * 16 + 32; // rows 16 floats apart in their lines' terms: all at one place
    int length = (int) Math.max(h, (long) (Math.max(m, n) + 2) * stride + 64); // b's rows start 2 strides in
    SplittableRandom rnd = new SplittableRandom(k);
    float[] a = Rand.floats(rnd, length);
    float[] b = Rand.floats(rnd, length);
    int[] aRows = GemmNT.evenRows(new int[m], 3, stride);
    int[] bRows = GemmNT.evenRows(new int[n], 3 + 2 * stride, stride);
    int head = GemmNT.alignedHead(a, aRows, m, b, bRows, n);
    if (h > 0) {
      assertTrue(head < CacheLines.FLOATS && CacheLines.offset(a, 3 + head) == 0, "head " + head);
    }
    float[] c = new float[m * n];
    float[] acc = new float[GemmNT.accumulatorSize(m, n)];
    GemmNT.accumulate(m, n, k, a, aRows, b, bRows, acc);
    GemmNT.reduceInto(acc, m, n, c, 0, n);
    float[] expected = new float[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        for (int p = 0; p < k; p++) {
          sum += (double) a[aRows[i] + p] * b[bRows[j] + p];
        }
        expected[i * n + j] = (float) sum;
      }
    }
    Rand.assertClose(expected, c, 1e-4, "GemmNT from a line boundary");
  }

  /** Which rows get a head: all of a's at one place in their lines, else all of b's; none where neither or unknown. */
  @Test
  void theHeadAlignsTheOperandWhoseRowsShareAPlaceInTheirLines() {
    long h = CacheLines.humongousFloats();
    Assumptions.assumeTrue(h > 0, "no line boundary is known without G1: nothing to align");
    float[] big = new float[(int) h + 64];
    float[] other = new float[(int) h + 64];
    int at = CacheLines.offset(big, 0);
    int[] together = {16 - at + 5, 16 - at + 5 + 48, 16 - at + 5 + 160}; // all at place 5 in their lines
    int[] apart = {16 - at + 5, 16 - at + 6};
    assertEquals(11, GemmNT.alignedHead(big, together, 3, other, apart, 2));
    assertEquals(11, GemmNT.alignedHead(big, apart, 2, other, together, 3), "b's rows when a's are apart");
    assertEquals(0, GemmNT.alignedHead(big, apart, 2, other, apart, 2), "neither");
    assertEquals(0, GemmNT.alignedHead(big, new int[] {16 - at, 16 - at + 64}, 2, other, apart, 2), "on a boundary");
    assertEquals(-1, CacheLines.offset(new float[1000], 0), "small arrays' lines are not known");
    assertEquals(0, GemmNT.alignedHead(new float[1000], together, 3, new float[1000], together, 3));
  }

  /** Surefire runs these tests once more with the other register tile; this pins which one ran. */
  @Test
  void registerTileFollowsTheVectorWidthUnlessSet() {
    Integer set = Integer.getInteger("sparkcnn.gemm.mr");
    int expected = set != null ? set : Simd.AVAILABLE && Simd.LANES >= 16 ? 8 : 6;
    assertEquals(expected, Gemm.MR);
  }
}
