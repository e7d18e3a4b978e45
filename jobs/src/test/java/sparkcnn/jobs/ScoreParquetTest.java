package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.data.GreyPng;

/** `score` into Parquet, the default format: array columns encode, and the written table is counted back. */
class ScoreParquetTest {
  @TempDir
  Path dir;

  @Test
  void aClassifierScoresIntoParquet() throws Exception {
    Path job = dir.resolve("cls.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 4, input: 1x32x32}
        data:
          train: {format: generated, samples: 32}
        training: {epochs: 1, batch: 16, max_steps: 1}
        spark: {master: 'local[2]'}
        output: %s
        """.formatted(dir.resolve("run")));
    assertEquals(0, CommandRun.of("train", job.toString()).code());
    String checkpoint;
    try (Stream<Path> files = Files.list(dir.resolve("run/checkpoints"))) {
      checkpoint = files.filter(f -> f.toString().endsWith(".sparkcnn")).findFirst().orElseThrow().toString();
    }
    Path input = dir.resolve("in");
    Files.createDirectories(input);
    for (int i = 0; i < 3; i++) {
      byte[] px = new byte[32 * 32];
      px[i * 33] = (byte) 200;
      Files.write(input.resolve(i + ".png"), GreyPng.encode(px, 0, 32, 32));
    }
    Files.writeString(input.resolve("broken.png"), "no image");
    CommandRun r = CommandRun.of("score", "--checkpoint", checkpoint, "--input", input.toString(), "--output",
        dir.resolve("out").toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertEquals(4, r.json().path("rows").asInt(), r.out());
    assertEquals(1, r.json().path("errors").asInt(), r.out());
  }
}
