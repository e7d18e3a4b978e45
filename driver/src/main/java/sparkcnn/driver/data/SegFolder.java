package sparkcnn.driver.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.util.CollectionAccumulator;
import scala.Tuple2;
import sparkcnn.driver.HadoopFiles;

/**
 * The "segfolder" source: a folder with images/ and masks/, a mask for every image under the same file name
 * minus its extension (images/a.jpg, masks/a.png). Listed on the driver, decoded on the executors.
 */
final class SegFolder {
  private SegFolder() {}

  /** (image, mask) paths sorted by image name; a missing folder or mask fails naming it. */
  static List<Tuple2<String, String>> list(String dir, Configuration conf) throws IOException {
    Path root = new Path(dir);
    FileSystem fs = root.getFileSystem(conf);
    Path images = new Path(root, "images");
    Path masks = new Path(root, "masks");
    for (Path p : new Path[] {images, masks}) {
      if (!fs.isDirectory(p)) {
        throw new IOException(p + ": no such folder (a segfolder holds images/ and masks/ with matching names)");
      }
    }
    Map<String, String> maskByName = new HashMap<>();
    for (FileStatus f : fs.listStatus(masks)) {
      if (f.isFile() && ImageDecoding.isImageFile(f.getPath().getName())) {
        String previous = maskByName.put(stem(f.getPath().getName()), f.getPath().toString());
        if (previous != null) {
          throw new IllegalArgumentException(f.getPath() + " and " + previous + ": two masks for one image name");
        }
      }
    }
    FileStatus[] files = fs.listStatus(images);
    Arrays.sort(files, Comparator.comparing(s -> s.getPath().getName()));
    List<Tuple2<String, String>> out = new ArrayList<>();
    for (FileStatus f : files) {
      String name = f.getPath().getName();
      if (!f.isFile() || !ImageDecoding.isImageFile(name)) {
        continue;
      }
      String mask = maskByName.get(stem(name));
      if (mask == null) {
        throw new IllegalArgumentException(f.getPath() + ": no mask for this image (expected " + masks + "/"
            + stem(name) + ".png or another image extension)");
      }
      out.add(new Tuple2<>(f.getPath().toString(), mask));
    }
    if (out.isEmpty()) {
      throw new IOException(images + ": no .jpg/.jpeg/.png/.bmp/.gif images");
    }
    return out;
  }

  /** Decodes pairs into one segmentation block; unreadable images or masks are reported, not fatal. */
  static SampleBlock decode(Iterator<Tuple2<String, String>> it, int c, int h, int w, long maxPixels,
      CollectionAccumulator<String> bad) {
    Configuration conf = new Configuration();
    BlockBuilder block = new BlockBuilder(c, h, w, true);
    while (it.hasNext()) {
      Tuple2<String, String> f = it.next();
      byte[] planes;
      try {
        planes = ImageDecoding.decode(HadoopFiles.readAll(f._1(), conf), c, h, w, maxPixels);
      } catch (IOException e) {
        bad.add(f._1() + ": " + e.getMessage());
        continue;
      }
      try {
        block.add(planes, MaskDecoding.decode(HadoopFiles.readAll(f._2(), conf), h, w), f._2());
      } catch (IOException e) {
        bad.add(f._2() + ": " + e.getMessage());
      }
    }
    return block.build();
  }

  private static String stem(String name) {
    int dot = name.lastIndexOf('.');
    return dot <= 0 ? name : name.substring(0, dot);
  }
}
