package sparkcnn.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system, except that the file named by -Dsparkcnn.test.tear stops being written after its first
 * 64 KB: the bytes so far reach the disk, the file named by -Dsparkcnn.test.torn is created to say so, and the
 * writing thread then waits forever, so that the test can kill the JVM between the write and the rename. A child
 * JVM of {@link TornWriteTest} uses it as fs.file.impl.
 */
public class TearingFileSystem extends LocalFileSystem {
  static final int TEAR_AFTER = 64 * 1024;

  @Override
  public FSDataOutputStream create(org.apache.hadoop.fs.Path f, FsPermission permission, boolean overwrite,
      int bufferSize, short replication, long blockSize, Progressable progress) throws IOException {
    FSDataOutputStream out = super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    if (!f.getName().equals(System.getProperty("sparkcnn.test.tear"))) {
      return out;
    }
    return new FSDataOutputStream(new OutputStream() {
      private long written;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        int n = (int) Math.min(len, TEAR_AFTER - written);
        out.write(b, off, n);
        written += n;
        if (written >= TEAR_AFTER) {
          out.hflush();
          Files.createFile(Path.of(System.getProperty("sparkcnn.test.torn")));
          while (true) {
            try {
              Thread.sleep(1000);
            } catch (InterruptedException e) {
              // keep holding the write open until the JVM is killed
            }
          }
        }
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    }, null);
  }
}
