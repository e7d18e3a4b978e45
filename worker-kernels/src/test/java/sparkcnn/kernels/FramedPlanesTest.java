package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The vector copies between planes and padded frames against their definitions, one element at a time: planes
 * narrower and wider than a vector, at the start, middle and end of their array (where the vector loads must
 * give way to the scalar rows), and nothing written outside what each copy owns.
 */
class FramedPlanesTest {
  private static final float GARBAGE = 7.5f;

  @Test
  void padMatchesItsDefinitionAndZeroesAVectorPastTheFrame() {
    SplittableRandom rnd = new SplittableRandom(1);
    for (int trial = 0; trial < 300; trial++) {
      int rows = 1 + rnd.nextInt(20);
      int cols = 1 + rnd.nextInt(trial % 2 == 0 ? 12 : 45);
      int top = rnd.nextInt(3);
      int left = rnd.nextInt(5);
      int hp = top + rows + rnd.nextInt(3);
      int wp = left + cols + rnd.nextInt(5);
      int planes = 1 + rnd.nextInt(3);
      float[] src = Rand.floats(rnd, planes * rows * cols);
      int plane = rnd.nextInt(planes);
      // Half the frames inside a larger array (a layout of several channels): nothing before them is touched.
      int at = trial % 2 == 0 ? 0 : 1 + rnd.nextInt(40);
      float[] dst = new float[at + hp * wp + Simd.LANES + 5];
      java.util.Arrays.fill(dst, GARBAGE);
      FramedPlanes.pad(src, plane * rows * cols, rows, cols, top, left, hp, wp, dst, at);
      for (int k = 0; k < at; k++) {
        assertEquals(GARBAGE, dst[k], "before the frame");
      }
      for (int u = 0; u < hp; u++) {
        for (int k = 0; k < wp; k++) {
          int i = u - top;
          int j = k - left;
          float want = i >= 0 && i < rows && j >= 0 && j < cols ? src[plane * rows * cols + i * cols + j] : 0f;
          assertEquals(want, dst[at + u * wp + k], "pad " + rows + "x" + cols + " at (" + u + ", " + k + ")");
        }
      }
      for (int k = at + hp * wp; k < at + hp * wp + Simd.LANES; k++) {
        assertEquals(0f, dst[k], "past the frame");
      }
      assertEquals(GARBAGE, dst[dst.length - 1], "past a vector beyond the frame");
    }
  }

  @Test
  void unpadCopiesTheRowsAndNothingOutsideThePlane() {
    SplittableRandom rnd = new SplittableRandom(2);
    for (int trial = 0; trial < 300; trial++) {
      int rows = 1 + rnd.nextInt(20);
      int cols = 1 + rnd.nextInt(trial % 2 == 0 ? 12 : 45);
      int stride = cols + rnd.nextInt(4);
      float[] src = Rand.floats(rnd, rows * stride + Simd.LANES);
      int before = rnd.nextInt(3);
      int after = rnd.nextInt(3);
      float[] dst = new float[before + rows * cols + after];
      java.util.Arrays.fill(dst, GARBAGE);
      FramedPlanes.unpad(src, 0, stride, rows, cols, dst, before);
      float[] want = new float[dst.length];
      java.util.Arrays.fill(want, GARBAGE);
      for (int i = 0; i < rows; i++) {
        System.arraycopy(src, i * stride, want, before + i * cols, cols);
      }
      assertArrayEquals(want, dst, "unpad " + rows + "x" + cols + " stride " + stride);
    }
  }

  @Test
  void strideTwoPhasesMatchTheirDefinition() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int trial = 0; trial < 300; trial++) {
      int rows = 1 + rnd.nextInt(20);
      // Every fifth trial a whole number of vector pairs a row, split from the row itself (Vec.splitWholeRows).
      int cols = trial % 5 == 0 ? 2 * Simd.LANES * (1 + rnd.nextInt(3)) : 1 + rnd.nextInt(trial % 2 == 0 ? 20 : 90);
      int sh = 1 + rnd.nextInt(4);
      int top = rnd.nextInt(3);
      int left = rnd.nextInt(4);
      int frameRows = (top + rows + rnd.nextInt(3) + sh - 1) / sh;
      int width = (left + cols + rnd.nextInt(3) + 1) / 2;
      int planes = 1 + rnd.nextInt(3);
      float[] src = Rand.floats(rnd, planes * rows * cols);
      int plane = rnd.nextInt(planes);
      int before = rnd.nextInt(5);
      int size = before + sh * 2 * frameRows * width;
      // Phases a vector wide or more write nothing past themselves but the zeros: some trials leave no room there
      // (a row's half-vector store must not spill past the last phase).
      boolean tight = width >= Simd.LANES && trial % 3 == 0;
      float[] dst = new float[tight ? size : size + Simd.LANES + 3];
      java.util.Arrays.fill(dst, GARBAGE);
      FramedPlanes.padStride2(src, plane * rows * cols, rows, cols, top, left, sh, frameRows, width, dst, before);
      for (int k = 0; k < before; k++) {
        assertEquals(GARBAGE, dst[k], "before the phases");
      }
      for (int u = 0; u < sh * frameRows; u++) {
        for (int k = 0; k < 2 * width; k++) {
          int i = u - top;
          int j = k - left;
          float want = i >= 0 && i < rows && j >= 0 && j < cols ? src[plane * rows * cols + i * cols + j] : 0f;
          int at = before + ((u % sh) * 2 + k % 2) * frameRows * width + (u / sh) * width + k / 2;
          assertEquals(want, dst[at], "phases " + rows + "x" + cols + " sh " + sh + " at (" + u + ", " + k + ")");
        }
      }
      if (tight) {
        continue;
      }
      for (int k = size; k < size + Simd.LANES; k++) {
        assertEquals(0f, dst[k], "past the phases");
      }
      assertEquals(GARBAGE, dst[dst.length - 1], "past a vector beyond the phases");
    }
  }

  @Test
  void splitRowWritesExactlyItsEvenAndOddColumns() {
    SplittableRandom rnd = new SplittableRandom(4);
    for (int trial = 0; trial < 300; trial++) {
      int cols = 1 + rnd.nextInt(90);
      int left = rnd.nextInt(4);
      int n = (left + cols + 1) / 2 + rnd.nextInt(4);
      int rowsAround = rnd.nextInt(3);
      float[] src = Rand.floats(rnd, (2 * rowsAround + 1) * cols);
      int row = rnd.nextInt(2 * rowsAround + 1) * cols;
      float[] dst = new float[2 * n + 4];
      java.util.Arrays.fill(dst, GARBAGE);
      FramedPlanes.splitRow(src, row, cols, left, n, dst, 1, n + 2);
      for (int m = 0; m < n; m++) {
        for (int b = 0; b < 2; b++) {
          int j = 2 * m + b - left;
          float want = j >= 0 && j < cols ? src[row + j] : 0f;
          assertEquals(want, dst[(b == 0 ? 1 : n + 2) + m], "split " + cols + " left " + left + " at " + m);
        }
      }
      assertEquals(GARBAGE, dst[0]);
      assertEquals(GARBAGE, dst[n + 1]);
      assertEquals(GARBAGE, dst[2 * n + 2]);
      assertEquals(GARBAGE, dst[2 * n + 3]);
    }
  }

  @Test
  void mergeRowInterleavesThePhasesAndWritesOnlyItsColumns() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int trial = 0; trial < 300; trial++) {
      int cols = 1 + rnd.nextInt(trial % 2 == 0 ? 30 : 120);
      int left = rnd.nextInt(4);
      int half = (left + cols + 1) / 2;
      float[] src = Rand.floats(rnd, 2 * half + 2 * Simd.LANES + 6);
      int even = 3 - left / 2;
      int odd = even + half + 1;
      int before = rnd.nextInt(3);
      float[] dst = new float[before + cols + 2];
      java.util.Arrays.fill(dst, GARBAGE);
      FramedPlanes.mergeRow(src, even, odd, left, cols, dst, before);
      float[] want = new float[dst.length];
      java.util.Arrays.fill(want, GARBAGE);
      for (int c = 0; c < cols; c++) {
        int k = c + left;
        want[before + c] = src[(k % 2 == 0 ? even : odd) + k / 2];
      }
      assertArrayEquals(want, dst, "merge " + cols + " left " + left);
      // And it undoes splitRow.
      float[] row = Rand.floats(rnd, cols);
      float[] phases = new float[2 * half + 2 * Simd.LANES];
      FramedPlanes.splitRow(row, 0, cols, left, half, phases, 0, half + Simd.LANES);
      float[] back = new float[cols];
      FramedPlanes.mergeRow(phases, 0, half + Simd.LANES, left, cols, back, 0);
      assertArrayEquals(row, back, "split then merge " + cols + " left " + left);
    }
  }
}
