package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.SparkTestContext;

/** Masks from a Parquet table and from a segfolder at another size than the model's; colour masks refused. */
class SegmentationSourcesTest {
  @TempDir
  Path dir;

  @Test
  void parquetMasksArriveWithTheirImagesAndBadValuesNameTheRow() throws Exception {
    SampleBlock gen = Datasets.generateSegmentation(0, 10, 1, 16, 16, 4, 8);
    List<Row> rows = new ArrayList<>();
    Map<String, byte[]> expected = new HashMap<>();
    for (int s = 0; s < 10; s++) {
      byte[] mask = java.util.Arrays.copyOfRange(gen.masks, s * 256, (s + 1) * 256);
      if (s == 6) {
        mask[3 * 16 + 9] = 9; // not a class of 4
      }
      expected.put("n" + s, mask);
      rows.add(RowFactory.create(GreyPng.encode(gen.pixels, s * 256, 16, 16), GreyPng.encode(mask, 0, 16, 16),
          "n" + s));
    }
    StructType schema = new StructType().add("image", DataTypes.BinaryType).add("segmentation",
        DataTypes.BinaryType).add("name", DataTypes.StringType);
    String table = dir.resolve("t.parquet").toString();
    SparkSession.builder().sparkContext(SparkTestContext.get().sc()).getOrCreate().createDataFrame(rows, schema)
        .write().parquet(table);
    Source src = new Source();
    src.format = "parquet";
    src.path = table;
    src.maskColumn = "segmentation";
    src.segmentation = true;
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> src.load(SparkTestContext.get(), 1, 16, 16, 4, 2));
    assertTrue(bad.getMessage().contains(table + ": row 'n6': mask pixel (row 3, column 9 of the mask fitted to "
        + "16x16) is 9, outside [0, 4)"), bad.getMessage());
    src.ignoreIndex = 9; // now 9 means "no label here"
    Source.Loaded loaded = src.load(SparkTestContext.get(), 1, 16, 16, 4, 2);
    assertEquals(10, loaded.samples());
    int seen = 0;
    for (SampleBlock b : loaded.blocks().collect()) {
      assertTrue(b.segmentation());
      for (int i = 0; i < b.size(); i++) {
        String name = b.sources[i].substring(b.sources[i].indexOf('\'') + 1, b.sources[i].lastIndexOf('\''));
        assertArrayEquals(expected.get(name), java.util.Arrays.copyOfRange(b.masks, i * 256, (i + 1) * 256), name);
        seen++;
      }
    }
    assertEquals(10, seen);
  }

  @Test
  void segfolderMasksAreFittedNearestNeighbourToTheModelInput() throws Exception {
    Path root = dir.resolve("seg");
    Files.createDirectories(root.resolve("images"));
    Files.createDirectories(root.resolve("masks"));
    // A 32x32 mask of four quadrants (classes 0..3) fitted to 16x16: still four clean quadrants.
    byte[] mask = new byte[32 * 32];
    byte[] image = new byte[32 * 32];
    for (int i = 0; i < 32; i++) {
      for (int j = 0; j < 32; j++) {
        mask[i * 32 + j] = (byte) ((i < 16 ? 0 : 2) + (j < 16 ? 0 : 1));
        image[i * 32 + j] = (byte) (mask[i * 32 + j] * 60);
      }
    }
    Files.write(root.resolve("images/a.jpg"), jpeg(image));
    Files.write(root.resolve("masks/a.png"), GreyPng.encode(mask, 0, 32, 32));
    Source src = new Source();
    src.format = "segfolder";
    src.path = root.toString();
    src.segmentation = true;
    SampleBlock b = src.load(SparkTestContext.get(), 1, 16, 16, 4, 1).blocks().collect().get(0);
    for (int i = 0; i < 16; i++) {
      for (int j = 0; j < 16; j++) {
        assertEquals((i < 8 ? 0 : 2) + (j < 8 ? 0 : 1), b.masks[i * 16 + j], "pixel " + i + ", " + j);
      }
    }
  }

  @Test
  void aColourMaskIsRefusedNamingWhy() throws Exception {
    BufferedImage rgb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(1, 2, 0xff0000);
    IOException e = assertThrows(IOException.class, () -> MaskDecoding.decode(GreyPng.encode(rgb), 4, 4));
    assertTrue(e.getMessage().contains("mask is a colour image (pixel (2, 1) is not grey)"), e.getMessage());
  }

  private static byte[] jpeg(byte[] grey) throws IOException {
    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
    for (int p = 0; p < grey.length; p++) {
      img.getRaster().setSample(p % 32, p / 32, 0, grey[p] & 0xff);
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(img, "jpg", out);
    return out.toByteArray();
  }
}
