package sparkcnn.driver.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.SparkTestContext;

/**
 * One class tree read four ways: format folder (our listing), Spark's binaryFile source (Spark lists and reads,
 * we decode), Spark's image source (from spark-mllib: Spark decodes) and a Parquet table of the same files' bytes
 * and labels. Each gives the same samples with the same labels and pixels, the same class names, and the same
 * one unreadable file; a file beside the class folders, a deeper one and a non-image file are left out by all.
 */
class TreeSourcesTest {
  @TempDir
  Path dir;

  private static final List<String> CLASSES = List.of("a", "b b", "\u00e7at");

  /** Per class 5 RGB images (PNG and JPEG, sizes 13..20), plus the odd files. Returns (bytes, label) of each. */
  private List<Object[]> tree(Path root) throws IOException {
    Random r = new Random(11);
    List<Object[]> files = new ArrayList<>();
    for (int c = 0; c < CLASSES.size(); c++) {
      Path sub = Files.createDirectories(root.resolve(CLASSES.get(c)));
      for (int i = 0; i < 5; i++) {
        BufferedImage img = new BufferedImage(13 + r.nextInt(8), 13 + r.nextInt(8), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
          for (int x = 0; x < img.getWidth(); x++) {
            img.setRGB(x, y, r.nextInt(1 << 24));
          }
        }
        String format = i % 2 == 0 ? "png" : "jpg";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        Files.write(sub.resolve("x " + i + (i == 3 ? ".JPG" : "." + format)), out.toByteArray());
        files.add(new Object[] {out.toByteArray(), c});
      }
    }
    Files.writeString(root.resolve("b b/broken.png"), "not a png");
    files.add(new Object[] {"not a png".getBytes(), 1});
    Files.writeString(root.resolve("a/notes.txt"), "left out");
    Files.write(root.resolve("beside.png"), (byte[]) files.get(0)[0]);
    Files.createDirectories(root.resolve("a/deeper"));
    Files.write(root.resolve("a/deeper/deep.png"), (byte[]) files.get(0)[0]);
    return files;
  }

  /** Each sample as "label:pixels", sorted: the set's content whatever the order or partitioning. */
  private static List<String> samples(Source.Loaded loaded) {
    List<String> out = new ArrayList<>();
    for (SampleBlock b : loaded.blocks().collect()) {
      int per = b.channels * b.height * b.width;
      for (int i = 0; i < b.size(); i++) {
        out.add(b.labels[i] + ":" + Arrays.toString(Arrays.copyOfRange(b.pixels, i * per, (i + 1) * per)));
      }
    }
    out.sort(null);
    return out;
  }

  private static Source source(String format, Path path) {
    Source s = new Source();
    s.format = format;
    s.path = path.toString();
    s.maxBadFraction = 0.2;
    return s;
  }

  @Test
  void folderBinaryFileImageAndParquetGiveTheSameSamples() throws IOException {
    JavaSparkContext sc = SparkTestContext.get();
    Path root = dir.resolve("tree");
    List<Object[]> files = tree(root);
    Path table = dir.resolve("table.parquet");
    StructType schema = new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.IntegerType);
    SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
    spark.createDataFrame(files.stream().map(f -> RowFactory.create(f[0], f[1])).toList(), schema).write()
        .parquet(table.toString());

    Source.Loaded folder = source("folder", root).load(sc, 3, 12, 12, 3, 2);
    List<String> expected = samples(folder);
    assertEquals(15, expected.size());
    assertEquals(CLASSES, folder.classes());
    assertEquals(1, folder.bad().size(), folder.bad().toString());
    for (String format : List.of("binaryFile", "image", "parquet")) {
      Source.Loaded loaded = source(format, format.equals("parquet") ? table : root).load(sc, 3, 12, 12, 3, 2);
      assertEquals(expected, samples(loaded), format);
      assertEquals(1, loaded.bad().size(), format + ": " + loaded.bad());
      if (!format.equals("parquet")) {
        assertEquals(CLASSES, loaded.classes(), format);
        assertTrue(loaded.bad().get(0).contains("broken.png"), format + ": " + loaded.bad());
      }
      loaded.blocks().unpersist(false);
    }
    folder.blocks().unpersist(false);
  }
}
