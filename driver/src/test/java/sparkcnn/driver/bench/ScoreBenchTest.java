package sparkcnn.driver.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.score.Scorer;

class ScoreBenchTest {
  /** A pass is paced from the last one toward the target time, at least once over, at most 64x the last and 2^20. */
  @Test
  void passesArePacedTowardTheTargetWithinBounds() {
    // 2 repeats took 0.5 s; 2.5 s asked: 10 repeats.
    assertEquals(10, ScoreBench.repeats(2, 0.5, 2.5));
    // Slower than asked: fewer, never below one.
    assertEquals(2, ScoreBench.repeats(8, 10, 2.5));
    assertEquals(1, ScoreBench.repeats(1, 100, 0.25));
    // A pass timed at almost nothing grows the next 64x at most, and no pass past 2^20 times over.
    assertEquals(64, ScoreBench.repeats(1, 1e-9, 5));
    assertEquals(640, ScoreBench.repeats(10, 0.001, 1000));
    assertEquals(1 << 20, ScoreBench.repeats(1 << 20, 1, 1e9));
    assertEquals(1 << 20, ScoreBench.repeats(1 << 19, 0.5, 1e9));
  }

  /** A pass's inputs: every image of the block, in order, as many rounds as asked, then nothing more. */
  @Test
  void roundsGiveEveryImageRepeatTimesInOrder() {
    int per = 2 * 3;
    byte[] px = new byte[3 * per];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (i * 37);
    }
    SampleBlock b = new SampleBlock(1, 2, 3, px, new int[3], null);
    Iterator<Scorer.Input> it = ScoreBench.rounds(b, 4);
    for (int i = 0; i < 12; i++) {
      Scorer.Input in = it.next();
      float[] expected = new float[per];
      ImageDecoding.toUnit(px, (i % 3) * per, expected, 0, per);
      assertArrayEquals(expected, in.planes(), "input " + i);
      assertEquals("generated/" + i, in.path());
    }
    assertFalse(it.hasNext());
    assertThrows(NoSuchElementException.class, it::next);
  }
}
