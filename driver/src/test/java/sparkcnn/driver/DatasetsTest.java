package sparkcnn.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.IdxFiles;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.data.Source;

/** IDX files (plain, gzip, damaged), image folders with unreadable files, and missing paths. */
class DatasetsTest {
  @TempDir
  Path dir;

  /** n images of h x w where pixel (i, r, c) = (i + r + c) mod 256, labels i mod 10. */
  private Path[] idx(int n, int h, int w, boolean gzip) throws IOException {
    Path images = dir.resolve("images" + (gzip ? ".gz" : ""));
    Path labels = dir.resolve("labels" + (gzip ? ".gz" : ""));
    try (DataOutputStream out = new DataOutputStream(open(images, gzip))) {
      out.writeInt(0x00000803);
      out.writeInt(n);
      out.writeInt(h);
      out.writeInt(w);
      for (int i = 0; i < n; i++) {
        for (int p = 0; p < h * w; p++) {
          out.writeByte((i + p / w + p % w) & 0xff);
        }
      }
    }
    try (DataOutputStream out = new DataOutputStream(open(labels, gzip))) {
      out.writeInt(0x00000801);
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeByte(i % 10);
      }
    }
    return new Path[] {images, labels};
  }

  private static OutputStream open(Path p, boolean gzip) throws IOException {
    OutputStream o = Files.newOutputStream(p);
    return gzip ? new GZIPOutputStream(o) : o;
  }

  @Test
  void idxPlainAndGzipGiveTheSameSamplesInEvenPartitions() throws Exception {
    JavaSparkContext sc = SparkTestContext.get();
    for (boolean gzip : new boolean[] {false, true}) {
      Path[] f = idx(103, 5, 4, gzip);
      List<SampleBlock> blocks = Datasets.idx(sc, f[0].toString(), f[1].toString(), 3).collect();
      assertEquals(3, blocks.size());
      int seen = 0;
      for (SampleBlock b : blocks) {
        assertTrue(Math.abs(b.size() - 103 / 3.0) < 1.01, "even split: " + b.size());
        for (int i = 0; i < b.size(); i++) {
          int global = seen + i;
          assertEquals(global % 10, b.labels[i]);
          assertEquals((byte) ((global + 2 + 3) & 0xff), b.pixels[i * 20 + 2 * 4 + 3]);
        }
        seen += b.size();
      }
      assertEquals(103, seen);
    }
  }

  @Test
  void damagedIdxFilesFailNamingTheFile() throws Exception {
    Path[] f = idx(10, 4, 4, false);
    byte[] all = Files.readAllBytes(f[0]);
    Path truncated = dir.resolve("truncated");
    Files.write(truncated, java.util.Arrays.copyOf(all, all.length - 7));
    IOException e = assertThrows(IOException.class, () -> IdxFiles.read(truncated.toString(),
        new org.apache.hadoop.conf.Configuration(), 0, 10));
    assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    Path wrong = dir.resolve("wrong");
    Files.write(wrong, "hello world, not idx".getBytes());
    e = assertThrows(IOException.class, () -> IdxFiles.dims(wrong.toString(), new org.apache.hadoop.conf.Configuration()));
    assertTrue(e.getMessage().contains("not an IDX file"), e.getMessage());
    e = assertThrows(IOException.class, () -> Datasets.idx(SparkTestContext.get(), dir.resolve("missing").toString(),
        f[1].toString(), 2));
    assertTrue(e.getMessage().contains("missing: no such file"), e.getMessage());
  }

  private void image(Path p, int shade, String format) throws IOException {
    BufferedImage img = new BufferedImage(12, 9, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 9; y++) {
      for (int x = 0; x < 12; x++) {
        img.setRGB(x, y, (shade << 16) | (shade << 8) | shade);
      }
    }
    Files.createDirectories(p.getParent());
    ImageIO.write(img, format, p.toFile());
  }

  @Test
  void imageFoldersDecodeResizeAndSkipUnreadableFilesByPath() throws Exception {
    Path root = dir.resolve("folders");
    for (int i = 0; i < 10; i++) {
      image(root.resolve("cat/" + i + ".png"), 40, "png");
      image(root.resolve("dog/" + i + ".jpg"), 200, "jpg");
    }
    Files.write(root.resolve("dog/empty.jpg"), new byte[0]);
    Files.write(root.resolve("cat/text.png"), "not an image".getBytes());
    Source s = new Source();
    s.format = "folder";
    s.path = root.toString();
    s.maxBadFraction = 0.2;
    Source.Loaded l = s.load(SparkTestContext.get(), 1, 8, 8, 2, 2);
    assertEquals(List.of("cat", "dog"), l.classes());
    assertEquals(20, l.samples());
    assertEquals(2, l.bad().size());
    assertTrue(l.bad().stream().anyMatch(b -> b.contains("empty.jpg") && b.contains("empty file")), l.bad().toString());
    for (SampleBlock b : l.blocks().collect()) {
      for (int i = 0; i < b.size(); i++) {
        int px = b.pixels[i * 64 + 27] & 0xff;
        assertEquals(b.labels[i] == 0 ? 40 : 200, px, 6, "grey level of " + b.sources[i]);
      }
    }
    s.maxBadFraction = 0.05;
    IOException tooMany = assertThrows(IOException.class, () -> s.load(SparkTestContext.get(), 1, 8, 8, 2, 2));
    assertTrue(tooMany.getMessage().contains("2 of 22 images are unreadable"), tooMany.getMessage());
    s.path = root.resolve("nowhere").toString();
    IOException missing = assertThrows(IOException.class, () -> s.load(SparkTestContext.get(), 1, 8, 8, 2, 2));
    assertTrue(missing.getMessage().contains("nowhere: no such folder"), missing.getMessage());
  }

  @Test
  void generatedDataDoesNotDependOnPartitioning() {
    JavaSparkContext sc = SparkTestContext.get();
    List<SampleBlock> one = Datasets.generated(sc, 40, 1, 6, 6, 3, 1, 9).collect();
    List<SampleBlock> three = Datasets.generated(sc, 40, 1, 6, 6, 3, 3, 9).collect();
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    three.forEach(b -> joined.write(b.pixels, 0, b.pixels.length));
    assertArrayEquals(one.get(0).pixels, joined.toByteArray());
  }

  @Test
  void idxSamplesAreResizedToTheModelsInput() throws Exception {
    Path[] f = idx(12, 6, 6, true);
    Source s = new Source();
    s.format = "idx";
    s.path = f[0].toString();
    s.labels = f[1].toString();
    List<SampleBlock> blocks = s.load(SparkTestContext.get(), 3, 9, 9, 10, 2).blocks().collect();
    SampleBlock b = blocks.get(0);
    assertEquals(3, b.channels);
    assertEquals(9, b.height);
    assertEquals(9, b.width);
    // Pixel values rise along rows and columns in the source; scaled up they still do, in every channel.
    for (int ch = 0; ch < 3; ch++) {
      int base = ch * 81;
      assertTrue((b.pixels[base + 8] & 0xff) > (b.pixels[base] & 0xff));
      assertTrue((b.pixels[base + 80] & 0xff) > (b.pixels[base + 8] & 0xff));
      assertEquals(b.pixels[40], b.pixels[base + 40], "grey replicated to every channel");
    }
    SampleBlock flat = new SampleBlock(1, 2, 2, new byte[] {50, 50, 50, 50}, new int[] {1}, null);
    for (byte v : sparkcnn.driver.data.BlockResize.fit(flat, 1, 5, 7).pixels) {
      assertEquals(50, v);
    }
  }
}
