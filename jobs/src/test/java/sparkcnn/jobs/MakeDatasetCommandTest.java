package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `make-dataset fashion-seg` over small IDX files written here: the folders, tables and classes it writes. */
class MakeDatasetCommandTest {
  @TempDir
  Path dir;

  /** n 28x28 garments (a bright block whose height depends on the index) and labels i mod 10, gzipped IDX. */
  private void idx(String split, int n) throws Exception {
    Path fm = dir.resolve("fm");
    Files.createDirectories(fm);
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(
        fm.resolve(split + "-images-idx3-ubyte.gz"))))) {
      out.writeInt(0x00000803);
      out.writeInt(n);
      out.writeInt(28);
      out.writeInt(28);
      for (int s = 0; s < n; s++) {
        for (int p = 0; p < 784; p++) {
          int i = p / 28;
          int j = p % 28;
          out.writeByte(i >= 4 && i < 8 + s % 20 && j >= 6 && j < 22 ? 200 : 0);
        }
      }
    }
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(
        fm.resolve(split + "-labels-idx1-ubyte.gz"))))) {
      out.writeInt(0x00000801);
      out.writeInt(n);
      for (int s = 0; s < n; s++) {
        out.writeByte(s % 10);
      }
    }
  }

  @Test
  void writesImagesMasksTablesAndClasses() throws Exception {
    idx("train", 30);
    idx("t10k", 20);
    Path out = dir.resolve("seg");
    CommandRun r = CommandRun.of("make-dataset", "fashion-seg", out.toString(), "--samples", "12", "--test-samples",
        "5", "--seed", "4", "--fashion-mnist", dir.resolve("fm").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("train: 12/12 canvases"), r.out());
    try (var files = Files.list(out.resolve("train/images"))) {
      assertEquals(12, files.count());
    }
    try (var files = Files.list(out.resolve("test/masks"))) {
      assertEquals(5, files.count());
    }
    BufferedImage image = ImageIO.read(out.resolve("train/images/train_000003.png").toFile());
    BufferedImage mask = ImageIO.read(out.resolve("train/masks/train_000003.png").toFile());
    assertEquals(64, image.getWidth());
    assertEquals(64, mask.getHeight());
    int garment = 0;
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < 64; j++) {
        int m = mask.getRaster().getSample(j, i, 0);
        assertTrue(m <= 10, "class index " + m);
        garment += m > 0 ? 1 : 0;
        if (m > 0) {
          assertTrue(image.getRaster().getSample(j, i, 0) > 40, "a garment pixel is brighter than the threshold");
        }
      }
    }
    assertTrue(garment > 100, "garments cover part of the canvas: " + garment);
    assertEquals(List.of("background", "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
        "Sneaker", "Bag", "Ankle boot"), Files.readAllLines(out.resolve("classes.txt")));
    assertTrue(Files.exists(out.resolve("train.parquet/_SUCCESS")));
    assertTrue(Files.exists(out.resolve("test.parquet/_SUCCESS")));

    Path again = dir.resolve("again");
    assertEquals(0, CommandRun.of("make-dataset", "fashion-seg", again.toString(), "--samples", "12",
        "--test-samples", "5", "--seed", "4", "--fashion-mnist", dir.resolve("fm").toString()).code());
    assertArrayEquals(Files.readAllBytes(out.resolve("test/masks/test_000004.png")),
        Files.readAllBytes(again.resolve("test/masks/test_000004.png")), "the same seed writes the same data");

    CommandRun twice = CommandRun.of("make-dataset", "fashion-seg", out.toString(), "--fashion-mnist",
        dir.resolve("fm").toString());
    assertEquals(1, twice.code());
    assertTrue(twice.line("make-dataset").contains(out + ": exists and is not empty"), twice.err());
  }

  @Test
  void usageErrorsExitTwo() {
    CommandRun r = CommandRun.of("make-dataset", "cifar-seg", dir.resolve("x").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown dataset 'cifar-seg' (known: fashion-seg)"), r.err());
    CommandRun missing = CommandRun.of("make-dataset", "fashion-seg", dir.resolve("y").toString(),
        "--fashion-mnist", dir.resolve("nothing").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("bin/install-datasets"), missing.err());
    assertEquals(0, CommandRun.of("make-dataset", "--help").code());
  }
}
