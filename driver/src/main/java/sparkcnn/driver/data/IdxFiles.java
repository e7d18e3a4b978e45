package sparkcnn.driver.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * IDX files (MNIST, Fashion-MNIST): a big-endian header (two zero bytes, type 0x08 for unsigned bytes, the
 * number of dimensions, each dimension as int32) then the raw bytes. Plain or gzip, detected from the first two
 * bytes; any Hadoop path. A partition reads only its record range (a gzip file is decompressed up to it).
 */
public final class IdxFiles {
  private IdxFiles() {}

  /** The dimensions of an IDX file, e.g. {60000, 28, 28} for images or {60000} for labels. */
  public static int[] dims(String path, Configuration conf) throws IOException {
    try (DataInputStream in = open(path, conf)) {
      return header(in, path);
    }
  }

  /**
   * The dimensions, after checking that a plain (not gzip) file holds every record its header declares: a file
   * cut short is refused naming the first record it lacks (a gzip file is only found short while it is read).
   */
  public static int[] checkedDims(String path, Configuration conf) throws IOException {
    int[] d;
    boolean gzip;
    try (DataInputStream in = open(path, conf)) {
      d = header(in, path);
    }
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    try (InputStream raw = fs.open(p)) {
      gzip = raw.read() == 0x1f && raw.read() == 0x8b;
    }
    if (!gzip) {
      long record = 1;
      for (int i = 1; i < d.length; i++) {
        record *= d[i];
      }
      long body = fs.getFileStatus(p).getLen() - 4 - 4L * d.length;
      if (body < d[0] * record) {
        long present = Math.max(0, body / record);
        throw new IllegalArgumentException(path + ": truncated IDX file: its header declares " + d[0]
            + " records but the file ends in record " + present + " (records " + present + "-" + (d[0] - 1)
            + " are missing)");
      }
    }
    return d;
  }

  /** Records [from, to) of an IDX file as bytes (record size = product of the dimensions after the first). */
  public static byte[] read(String path, Configuration conf, int from, int to) throws IOException {
    try (DataInputStream in = open(path, conf)) {
      int[] d = header(in, path);
      long record = 1;
      for (int i = 1; i < d.length; i++) {
        record *= d[i];
      }
      if (from < 0 || to > d[0] || from > to) {
        throw new IOException(path + ": records [" + from + ", " + to + ") outside the file's " + d[0]);
      }
      in.skipNBytes(from * record);
      byte[] out = new byte[Math.toIntExact((to - from) * record)];
      in.readFully(out);
      return out;
    } catch (EOFException e) {
      throw new IOException(path + ": truncated IDX file (fewer bytes than its header declares)", e);
    }
  }

  private static DataInputStream open(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) {
      throw new IOException(path + ": no such file" + (path.contains("/usr/share/datasets/")
          ? " (the Debian dataset package is not installed: run bin/install-datasets, or apt-get install "
          + "dataset-fashion-mnist)" : ""));
    }
    InputStream raw = new BufferedInputStream(fs.open(p), 1 << 16);
    raw.mark(2);
    int b0 = raw.read();
    int b1 = raw.read();
    raw.reset();
    InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16)
        : raw;
    return new DataInputStream(in);
  }

  private static int[] header(DataInputStream in, String path) throws IOException {
    int magic = in.readInt();
    int type = (magic >> 8) & 0xff;
    int n = magic & 0xff;
    if ((magic >>> 16) != 0 || type != 0x08 || n < 1 || n > 4) {
      throw new IOException(path + ": not an IDX file of unsigned bytes (magic 0x" + Integer.toHexString(magic)
          + ", expected 0x0000080N)");
    }
    int[] d = new int[n];
    for (int i = 0; i < n; i++) {
      d[i] = in.readInt();
      if (d[i] <= 0) {
        throw new IOException(path + ": IDX dimension " + i + " is " + d[i]);
      }
    }
    return d;
  }
}
