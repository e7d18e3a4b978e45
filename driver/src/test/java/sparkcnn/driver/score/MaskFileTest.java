package sparkcnn.driver.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Mask file names: unique per input, sub-folders kept, never outside the output folder. */
class MaskFileTest {
  @Test
  void namesStayUniqueAndInside() {
    assertEquals("a.png", MaskScorer.maskFile("a.png"));
    assertEquals("a.jpg.png", MaskScorer.maskFile("a.jpg"));
    assertEquals("sub/b.PNG", MaskScorer.maskFile("sub/b.PNG"));
    assertEquals("_/_/etc/passwd.png", MaskScorer.maskFile("../../etc/passwd"));
    assertEquals("abs/x.png", MaskScorer.maskFile("/abs/x"));
    assertEquals("w/x.png", MaskScorer.maskFile("w\\x"));
    assertEquals("_.png", MaskScorer.maskFile(""));
  }
}
