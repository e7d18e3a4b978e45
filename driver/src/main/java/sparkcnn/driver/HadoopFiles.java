package sparkcnn.driver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reading and writing whole files on any Hadoop FileSystem. Writes are atomic: the bytes go to a hidden
 * temporary name beside the target, which is then renamed over it, so a crash mid-write leaves the previous
 * version intact and readers never see half a file.
 */
public final class HadoopFiles {
  /** What writes the file's content. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  private HadoopFiles() {}

  public static byte[] readAll(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      return in.readAllBytes();
    }
  }

  public static void write(String path, Configuration conf, byte[] bytes) throws IOException {
    write(path, conf, out -> out.write(bytes));
  }

  public static void write(String path, Configuration conf, Writer content) throws IOException {
    Path target = new Path(path);
    FileSystem fs = target.getFileSystem(conf);
    Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      content.write(out);
    }
    if (fs.exists(target)) {
      fs.delete(target, false);
    }
    if (!fs.rename(tmp, target)) {
      throw new IOException("could not rename " + tmp + " to " + target);
    }
  }
}
