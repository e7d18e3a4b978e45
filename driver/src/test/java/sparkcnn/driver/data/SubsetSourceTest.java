package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.SparkTestContext;

/**
 * select_classes and fraction on a folder tree: the class names follow the selection, and the share of
 * unreadable files is taken over everything decoded, not over the subset.
 */
class SubsetSourceTest {
  @TempDir
  Path root;

  private void image(Path p, int shade) throws Exception {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        img.getRaster().setSample(x, y, 0, (shade * 37 + x * 11 + y * 5) % 256);
      }
    }
    ImageIO.write(img, "png", p.toFile());
  }

  private Source tree() throws Exception {
    for (String c : List.of("ant", "bee", "cat")) {
      Files.createDirectories(root.resolve(c));
      for (int i = 0; i < 20; i++) {
        image(root.resolve(c + "/" + i + ".png"), i + c.length() * 50 + c.charAt(0));
      }
    }
    Files.write(root.resolve("bee/broken.png"), new byte[] {1, 2, 3});
    Source s = new Source();
    s.format = "folder";
    s.path = root.toString();
    s.maxBadFraction = 0.05;
    return s;
  }

  @Test
  void selectedClassesAreNamedInTheirNewOrder() throws Exception {
    Source s = tree();
    s.selectClasses = new int[] {2, 0};
    Source.Loaded l = s.load(SparkTestContext.get(), 1, 8, 8, 2, 2);
    assertEquals(List.of("cat", "ant"), l.classes());
    assertEquals(40, l.samples());
    s.selectClasses = new int[] {3};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.load(SparkTestContext.get(), 1, 8, 8, 2, 2));
    assertTrue(e.getMessage().contains("select_classes names label 3") && e.getMessage().contains("[ant, bee, cat]"),
        e.getMessage());
  }

  @Test
  void theUnreadableShareCountsEverythingDecoded() throws Exception {
    Source s = tree();
    s.fraction = 0.1; // about 6 of 60 kept; 1 unreadable of 61 is under 0.05, 1 of 7 would not be
    s.seed = 4;
    Source.Loaded l = s.load(SparkTestContext.get(), 1, 8, 8, 3, 2);
    assertEquals(1, l.bad().size());
    assertTrue(l.samples() > 0 && l.samples() < 20, "kept " + l.samples());
  }
}
