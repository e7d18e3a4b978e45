package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything on a real HDFS: an in-process MiniDFSCluster (a NameNode and a DataNode from Hadoop 3.4.1, the
 * version of Spark's own Hadoop client) and commands that name only hdfs:// paths: training data as an image
 * folder tree and as IDX files, checkpoints, metrics.jsonl, report.json and the output lock, --resume, evaluate
 * of a checkpoint on HDFS, and score output. Nothing of the runs may land on the local disk.
 */
class HdfsIT {
  @TempDir
  static Path local;
  private static MiniDFSCluster cluster;
  private static FileSystem fs;
  private static String root;

  @BeforeAll
  static void startHdfs() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, local.resolve("hdfs").toString());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
    root = "hdfs://localhost:" + cluster.getNameNodePort() + "/sparkcnn";
    fs.mkdirs(new org.apache.hadoop.fs.Path(root));
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  private static void put(String path, byte[] bytes) throws IOException {
    try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(path), true)) {
      out.write(bytes);
    }
  }

  private static byte[] get(String path) throws IOException {
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(path))) {
      return in.readAllBytes();
    }
  }

  private static boolean exists(String path) throws IOException {
    return fs.exists(new org.apache.hadoop.fs.Path(path));
  }

  /** Sample i of class c: a bright bar whose position is the class, on a noise-free dark field. */
  private static byte[] pixels(int c, int i) {
    byte[] px = new byte[16 * 16];
    for (int y = 0; y < 16; y++) {
      for (int x = 4 * c; x < 4 * c + 3; x++) {
        px[y * 16 + x] = (byte) (180 + (i * 7 + y) % 60);
      }
    }
    return px;
  }

  /** A folder tree of PNGs (classes a, b, c, d) and the same kind of samples as IDX files, all on HDFS. */
  private static void data() throws IOException {
    for (int c = 0; c < 4; c++) {
      for (int i = 0; i < 24; i++) {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, 16, 16, pixels(c, i));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        put(root + "/tree/" + (char) ('a' + c) + "/img " + i + ".png", png.toByteArray());
      }
    }
    ByteArrayOutputStream images = new ByteArrayOutputStream();
    ByteArrayOutputStream labels = new ByteArrayOutputStream();
    try (DataOutputStream im = new DataOutputStream(images); DataOutputStream lb = new DataOutputStream(labels)) {
      im.writeInt(0x803);
      im.writeInt(64);
      im.writeInt(16);
      im.writeInt(16);
      lb.writeInt(0x801);
      lb.writeInt(64);
      for (int i = 0; i < 64; i++) {
        im.write(pixels(i % 4, i + 100));
        lb.writeByte(i % 4);
      }
    }
    put(root + "/idx/images.idx", images.toByteArray());
    put(root + "/idx/labels.idx", labels.toByteArray());
  }

  @Test
  void trainsResumesEvaluatesAndScoresOnHdfsPathsOnly() throws Exception {
    data();
    String out = root + "/runs/bars";
    Path job = local.resolve("hdfs-job.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 4, input: 1x16x16, width: 0.25}
        data:
          train: {format: folder, path: %s}
          test: {format: idx, path: %s, labels: %s}
          partitions: 2
        training: {epochs: 1, batch: 16, optimizer: adam, lr: 0.003, seed: 2}
        checkpoint: {every_steps: 2, keep: 2}
        spark: {master: 'local[2]'}
        log_every_seconds: 0
        output: %s
        """.formatted(root + "/tree", root + "/idx/images.idx", root + "/idx/labels.idx", out));
    CommandRun first = CommandRun.of("train", job.toString(), "--json");
    assertEquals(0, first.code(), first.err());
    assertTrue(first.out().contains("\"checkpoint\": \"" + out + "/checkpoints/checkpoint-000000006.sparkcnn\""),
        first.out());
    assertTrue(first.err().contains("class names (4, the class folders): [\"a\", \"b\", \"c\", \"d\"]"), first.err());
    List<String> names = new ArrayList<>();
    for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(out + "/checkpoints"))) {
      names.add(st.getPath().getName());
    }
    assertEquals(List.of("checkpoint-000000004.sparkcnn", "checkpoint-000000006.sparkcnn"), names.stream().sorted()
        .toList(), "checkpoint.keep: 2 of the three written, on HDFS");
    String report = new String(get(out + "/report.json"), StandardCharsets.UTF_8);
    assertTrue(report.contains("\"resumed\": false") && report.contains("\"test_accuracy\": "), report);
    assertFalse(exists(out + "/" + sparkcnn.driver.train.RunLock.NAME), "the lock went with the run");

    // --resume from the newest checkpoint on HDFS, one epoch more; metrics.jsonl keeps the first epoch.
    String before = new String(get(out + "/metrics.jsonl"), StandardCharsets.UTF_8);
    CommandRun resumed = CommandRun.of("train", job.toString(), "--resume", "--json", "--set", "training.epochs=2");
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.out().contains("\"resumed_from_step\": 6") && resumed.out().contains("\"steps\": 12"),
        resumed.out());
    String after = new String(get(out + "/metrics.jsonl"), StandardCharsets.UTF_8);
    assertTrue(after.startsWith(before) && after.contains("{\"kind\": \"resumed\", \"step\": 6"), after);
    assertTrue(new String(get(out + "/report.json"), StandardCharsets.UTF_8).contains("\"resumed_from_step\": 6"));
    String checkpoint = out + "/checkpoints/checkpoint-000000012.sparkcnn";
    assertTrue(exists(checkpoint));

    // A live lock on HDFS refuses a second holder (create without overwrite is decided by the NameNode).
    Configuration conf = fs.getConf();
    try (sparkcnn.driver.train.RunLock held = sparkcnn.driver.train.RunLock.acquire(out, conf, s -> { })) {
      IOException e = assertThrows(IOException.class, () -> sparkcnn.driver.train.RunLock.acquire(out, conf,
          s -> { }));
      assertTrue(e.getMessage().startsWith(out + " is in use by another training run"), e.getMessage());
    }

    // evaluate reads the checkpoint from HDFS and the IDX test set from HDFS.
    CommandRun eval = CommandRun.of("evaluate", "--checkpoint", checkpoint, "--data",
        "idx:" + root + "/idx/images.idx," + root + "/idx/labels.idx", "--json");
    assertEquals(0, eval.code(), eval.err());
    assertTrue(eval.out().contains("\"count\": 64"), eval.out());

    // score the tree into CSV on HDFS: one row per image, none with an error.
    String scored = root + "/scored";
    CommandRun score = CommandRun.of("score", "--checkpoint", checkpoint, "--input", root + "/tree", "--output",
        scored, "--format", "csv", "--partitions", "2");
    assertEquals(0, score.code(), score.err());
    int rows = 0;
    for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(scored))) {
      if (st.getPath().getName().startsWith("part-")) {
        for (String line : new String(get(st.getPath().toString()), StandardCharsets.UTF_8).split("\n")) {
          if (line.contains(root + "/tree/")) {
            rows++;
          }
        }
      }
    }
    assertEquals(96, rows, "one row per image of the tree");
    try (var files = Files.walk(local)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".sparkcnn")
          || p.getFileName().toString().equals("metrics.jsonl")), "nothing of the runs on the local disk");
    }
  }
}
