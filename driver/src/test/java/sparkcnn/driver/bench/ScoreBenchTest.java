package sparkcnn.driver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ScoreBenchTest {
  /** A pass is paced from the last one toward the target time, at least once over, at most 64 times the last. */
  @Test
  void passesArePacedTowardTheTargetWithinBounds() {
    // 2 repeats took 0.5 s; 2.5 s asked: 10 repeats.
    assertEquals(10, ScoreBench.repeats(2, 0.5, 2.5));
    // Slower than asked: fewer, never below one.
    assertEquals(2, ScoreBench.repeats(8, 10, 2.5));
    assertEquals(1, ScoreBench.repeats(1, 100, 0.25));
    // A pass timed at almost nothing (or a warm-up far slower than the rest) grows 64x at most.
    assertEquals(64, ScoreBench.repeats(1, 1e-9, 5));
    assertEquals(640, ScoreBench.repeats(10, 0.001, 1000));
  }
}
