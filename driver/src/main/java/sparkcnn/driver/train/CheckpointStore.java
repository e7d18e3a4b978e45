package sparkcnn.driver.train;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.optim.Optimizer;

/**
 * Checkpoints in a directory of any Hadoop FileSystem, written atomically: to a temporary name first, then
 * renamed, so a crash mid-write leaves the previous checkpoint intact. Keeps the newest few. {@link #latest}
 * finds the newest one that reads back valid (skipping, with a warning, any that does not).
 */
public final class CheckpointStore {
  private static final String PREFIX = "checkpoint-";
  private static final String SUFFIX = ".sparkcnn";
  private final Path dir;
  private final FileSystem fs;
  private final int keep;

  public CheckpointStore(String directory, Configuration conf, int keep) throws IOException {
    this.dir = new Path(directory);
    this.fs = dir.getFileSystem(conf);
    this.keep = Math.max(1, keep);
  }

  /** Writes a checkpoint of step and returns its path. */
  public String save(java.util.Map<String, String> spec, long step, int epoch, Model model, Optimizer optimizer)
      throws IOException {
    fs.mkdirs(dir);
    Path target = new Path(dir, String.format(Locale.ROOT, "%s%09d%s", PREFIX, step, SUFFIX));
    HadoopFiles.write(target.toString(), fs.getConf(),
        out -> Checkpoint.write(out, spec, step, epoch, model, optimizer));
    List<Path> all = list();
    for (int i = 0; i + keep < all.size(); i++) {
      fs.delete(all.get(i), false);
    }
    return target.toString();
  }

  /** Checkpoints in this directory, oldest first. */
  public List<Path> list() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!fs.exists(dir)) {
      return out;
    }
    for (FileStatus st : fs.listStatus(dir)) {
      String n = st.getPath().getName();
      if (n.startsWith(PREFIX) && n.endsWith(SUFFIX)) {
        out.add(st.getPath());
      }
    }
    out.sort(Comparator.comparing(Path::getName));
    return out;
  }

  /** The newest checkpoint that reads back valid, or null if there is none. */
  public Checkpoint.Contents latest(java.util.function.Consumer<String> warn) throws IOException {
    List<Path> all = list();
    for (int i = all.size() - 1; i >= 0; i--) {
      try {
        return read(all.get(i).toString(), fs.getConf());
      } catch (IOException e) {
        warn.accept("skipping a damaged checkpoint: " + e.getMessage()); // the reader's message names the file
      }
    }
    return null;
  }

  /**
   * A checkpoint file, or the newest valid checkpoint of a run's checkpoints folder (warn hears the ones
   * skipped); fails naming the path if there is none.
   */
  public static Checkpoint.Contents readFileOrNewest(String path, Configuration conf,
      java.util.function.Consumer<String> warn) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    if (fs.exists(p) && fs.getFileStatus(p).isDirectory()) {
      Checkpoint.Contents c = new CheckpointStore(path, conf, 1).latest(warn);
      if (c == null) {
        throw new IOException(path + ": no valid checkpoint in this folder");
      }
      return c;
    }
    return read(path, conf);
  }

  /** Reads a checkpoint from any Hadoop path. */
  public static Checkpoint.Contents read(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) {
      throw new IOException(path + ": no such checkpoint");
    }
    try (InputStream in = fs.open(p)) {
      return Checkpoint.read(in, path);
    }
  }
}
