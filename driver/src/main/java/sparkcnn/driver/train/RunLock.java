package sparkcnn.driver.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * One training run at a time per output directory: OUTPUT/train.lock names its owner (key=value lines: host,
 * pid, start) and carries a heartbeat, rewritten every {@link #HEARTBEAT_SECONDS} while the run lives. A second run is refused
 * with one line naming the owner. A crashed run does not block forever: its lock is taken over at once when it
 * names a process of this host that no longer runs, and by anyone once its heartbeat is {@link #STALE_SECONDS}
 * old. Creating the lock is atomic on HDFS (create without overwrite is decided by the NameNode) and on local
 * disks (O_EXCL); any other Hadoop FileSystem gets its own create-if-absent.
 */
public final class RunLock implements AutoCloseable {
  public static final String NAME = "train.lock";
  static final long HEARTBEAT_SECONDS = 10;
  static final long STALE_SECONDS = 60;
  private final Path path;
  private final FileSystem fs;
  private final String owner;
  private final Map<String, Object> content;
  private final ScheduledExecutorService beat;

  private RunLock(Path path, FileSystem fs, Map<String, Object> content, Consumer<String> log) {
    this.path = path;
    this.fs = fs;
    this.content = content;
    this.owner = (String) content.get("owner");
    this.beat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sparkcnn-run-lock");
      t.setDaemon(true);
      return t;
    });
    beat.scheduleWithFixedDelay(() -> heartbeat(log), HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
  }

  /** Takes the output directory's lock, or fails naming the run that holds it. */
  public static RunLock acquire(String outputDir, Configuration conf, Consumer<String> log) throws IOException {
    Path path = new Path(outputDir, NAME);
    FileSystem fs = path.getFileSystem(conf);
    fs.mkdirs(path.getParent());
    Map<String, Object> mine = new java.util.LinkedHashMap<>();
    mine.put("owner", UUID.randomUUID().toString());
    mine.put("host", localHost());
    mine.put("pid", ProcessHandle.current().pid());
    mine.put("started", Instant.now().toString());
    mine.put("heartbeat_ms", System.currentTimeMillis());
    for (int attempt = 0; attempt < 2; attempt++) {
      if (createNew(fs, path, text(mine))) {
        return new RunLock(path, fs, mine, log);
      }
      Held held = Held.read(fs, path);
      String stale = held == null ? null : held.staleBecause();
      if (held != null && stale == null) {
        throw new IOException(String.format(Locale.ROOT, "%s is in use by another training run (pid %s on %s, "
            + "started %s, last heartbeat %d s ago; lock file %s): wait for it to end or train into another "
            + "output; a run that died leaves its lock to be taken over %d s after its last heartbeat (at once "
            + "on the same host)", outputDir, held.pid, held.host, held.started, held.ageMillis / 1000, path,
            STALE_SECONDS));
      }
      if (held != null) {
        log.accept("taking over " + path + " from a run that is gone (pid " + held.pid + " on " + held.host + ": "
            + stale + ")");
        fs.delete(path, false);
      }
    }
    throw new IOException(path + ": another run took this output directory's lock at the same moment");
  }

  /** The owner of a lock file, as far as it can be read, and how long ago it last beat. */
  private record Held(String host, Object pid, Object started, long ageMillis) {
    static Held read(FileSystem fs, Path path) throws IOException {
      long modified;
      String text;
      try (InputStream in = fs.open(path)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        modified = fs.getFileStatus(path).getModificationTime();
      } catch (java.io.FileNotFoundException e) {
        return null; // released between our create and this read
      }
      long beat = modified;
      String host = "?";
      Object pid = "?";
      Object started = "?";
      java.util.Properties m = new java.util.Properties();
      m.load(new java.io.StringReader(text));
      host = m.getProperty("host", "?");
      started = m.getProperty("started", "?");
      try {
        pid = Long.parseLong(m.getProperty("pid", ""));
        beat = Math.max(beat, Long.parseLong(m.getProperty("heartbeat_ms", "")));
      } catch (NumberFormatException e) {
        // half-written by its owner this instant, or not ours: judged by its modification time alone
      }
      return new Held(host, pid, started, Math.max(0, System.currentTimeMillis() - beat));
    }

    /** Why this lock's run is known to be gone, or null while it may live. */
    String staleBecause() {
      if (ageMillis > STALE_SECONDS * 1000) {
        return "no heartbeat for " + ageMillis / 1000 + " s";
      }
      if (host.equals(localHost()) && pid instanceof Number n && ProcessHandle.of(n.longValue()).isEmpty()) {
        return "that process no longer runs";
      }
      return null;
    }
  }

  private void heartbeat(Consumer<String> log) {
    try {
      Held held = Held.read(fs, path);
      String text;
      try (InputStream in = fs.open(path)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (held == null || !text.contains(owner)) {
        log.accept("warning: " + path + " was taken over by another run; this run no longer holds its output");
        beat.shutdown();
        return;
      }
      content.put("heartbeat_ms", System.currentTimeMillis());
      rewrite(fs, path, text(content));
    } catch (IOException | RuntimeException e) {
      log.accept("warning: could not renew " + path + ": " + e.getMessage());
    }
  }

  /** Stops the heartbeat and removes the lock if it is still this run's. */
  @Override
  public void close() {
    beat.shutdownNow();
    try {
      String text;
      try (InputStream in = fs.open(path)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (text.contains(owner)) {
        fs.delete(path, false);
      }
    } catch (IOException e) {
      // gone already, or the file system is: a stale lock is taken over by the next run anyway
    }
  }

  private static String text(Map<String, Object> m) {
    StringBuilder sb = new StringBuilder();
    m.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    return sb.toString();
  }

  private static boolean createNew(FileSystem fs, Path path, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (local(fs)) {
      try {
        Files.write(localFile(fs, path), bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    if (fs.exists(path)) {
      return false;
    }
    try (OutputStream out = fs.create(path, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (fs.exists(path)) {
        return false; // another client is creating it (HDFS: AlreadyBeingCreatedException)
      }
      throw e;
    }
  }

  private static void rewrite(FileSystem fs, Path path, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (local(fs)) {
      Files.write(localFile(fs, path), bytes, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
      return;
    }
    try (OutputStream out = fs.create(path, true)) {
      out.write(bytes);
    }
  }

  /** Local disks are written through java.nio: atomic create-new, and no .crc side files to go stale. */
  private static boolean local(FileSystem fs) {
    return fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem;
  }

  private static java.nio.file.Path localFile(FileSystem fs, Path path) {
    return java.nio.file.Path.of(fs.makeQualified(path).toUri());
  }

  private static String localHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }
}
