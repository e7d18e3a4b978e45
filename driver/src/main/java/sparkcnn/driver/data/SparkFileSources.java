package sparkcnn.driver.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Spark's own file sources over a class-per-subfolder tree, for users whose pipelines already read images that way:
 * "image" (spark-mllib's image source: Spark decodes each file with ImageIO into BGR rows; max_pixels, CMYK and EXIF
 * handling do not apply, and an image Spark cannot decode is one unreadable row) and "binaryFile" (spark-sql's
 * source: each file's bytes, decoded here exactly as format "folder" decodes them). Spark lists and splits the files.
 * The label is the position of the file's folder among the tree's sorted subfolders, as for "folder"; files that are
 * not directly inside a class folder, or whose names lack an image extension, are left out as "folder" leaves them.
 */
final class SparkFileSources {
  private SparkFileSources() {}

  static JavaRDD<SampleBlock> read(JavaSparkContext sc, String format, String path, List<String> classes, int c,
      int h, int w, long maxPixels, int partitions, CollectionAccumulator<String> bad) throws IOException {
    SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
    String root = new Path(path).getFileSystem(sc.hadoopConfiguration()).makeQualified(new Path(path)).toUri()
        .getPath();
    boolean image = format.equals("image");
    Dataset<Row> df;
    try {
      df = spark.read().format(format).option("recursiveFileLookup", "true").option("pathGlobFilter", imageGlob())
          .load(path);
    } catch (Exception e) { // a checked SparkClassNotFoundException among others, which javac cannot name here
      // Spark names a missing source DATA_SOURCE_NOT_FOUND; the image source lives in spark-mllib.
      throw new IOException(path + ": Spark's '" + format + "' source is not available (" + e.getMessage() + ")"
          + (image ? "; it ships in spark-mllib, which every Spark distribution has in jars/" : ""));
    }
    df = image ? df.select("image") : df.select("path", "content");
    return df.javaRDD().repartition(Math.max(1, partitions)).mapPartitions(it -> {
      BlockBuilder block = new BlockBuilder(c, h, w);
      while (it.hasNext()) {
        Row r = it.next();
        Row struct = image ? r.getStruct(0) : null;
        String file = image ? struct.getString(0) : r.getString(0);
        Path p = path(file);
        int label = p.getParent() != null && p.getParent().getParent() != null
            && p.getParent().getParent().toUri().getPath().equals(root) ? classes.indexOf(p.getParent().getName()) : -1;
        if (label < 0) {
          continue;
        }
        try {
          byte[] planes = image ? fromImageStruct(struct, c, h, w)
              : ImageDecoding.decode((byte[]) r.get(1), c, h, w, maxPixels);
          block.add(planes, label, p.toString());
        } catch (IOException | RuntimeException e) {
          bad.add(p + ": " + e.getMessage());
        }
      }
      return List.of(block.build()).iterator();
    });
  }

  /** A file name glob for {@link ImageDecoding#EXTENSIONS} in any case ("*.{[jJ][pP][gG],...}"). */
  static String imageGlob() {
    StringBuilder sb = new StringBuilder("*.{");
    for (String ext : ImageDecoding.EXTENSIONS) {
      if (sb.length() > 3) {
        sb.append(',');
      }
      for (char ch : ext.substring(1).toCharArray()) {
        sb.append('[').append(Character.toLowerCase(ch)).append(Character.toUpperCase(ch)).append(']');
      }
    }
    return sb.append('}').toString();
  }

  /** Spark's file names are URIs with the path percent-encoded (spaces, non-ASCII letters). */
  private static Path path(String file) {
    try {
      return new Path(new java.net.URI(file));
    } catch (java.net.URISyntaxException e) {
      return new Path(file);
    }
  }

  /** Spark's image struct (origin, height, width, nChannels, mode, data in BGR(A) order) to our planes. */
  private static byte[] fromImageStruct(Row s, int c, int h, int w) throws IOException {
    int ih = s.getInt(1);
    int iw = s.getInt(2);
    int nc = s.getInt(3);
    byte[] data = (byte[]) s.get(5);
    if (ih <= 0 || iw <= 0 || data == null || data.length < (long) ih * iw * nc) {
      throw new IOException(String.format(Locale.ROOT, "not an image Spark's image source could decode (%d x %d, "
          + "%d channels)", iw, ih, nc));
    }
    BufferedImage img = new BufferedImage(iw, ih, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < ih; i++) {
      for (int j = 0; j < iw; j++) {
        int o = (i * iw + j) * nc;
        int b = data[o] & 0xff;
        int g = nc > 1 ? data[o + 1] & 0xff : b;
        int r = nc > 2 ? data[o + 2] & 0xff : b;
        img.setRGB(j, i, (r << 16) | (g << 8) | b);
      }
    }
    return ImageDecoding.fit(img, c, h, w);
  }
}
