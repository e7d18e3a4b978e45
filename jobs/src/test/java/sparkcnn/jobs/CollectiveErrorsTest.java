package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the collective trainer refuses before it launches a barrier stage, each with exit status and one line:
 * more ranks than task slots, dynamic allocation, more ranks than data partitions (a rank with nothing to train).
 */
class CollectiveErrorsTest {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "more ranks than slots|4|ranks: 3|{}|1|training.ranks 3: the cluster has only 2 task slot(s)",
      "dynamic allocation|2|ranks: 0|{spark.dynamicAllocation.enabled: 'true'}|2|"
          + "spark.dynamicAllocation.enabled is true",
      "a rank without data|1|ranks: 2|{}|2|training.ranks 2 is more than the 1 data partitions"})
  void refusedWithOneLine(String name, int partitions, String ranks, String conf, int status, String message)
      throws Exception {
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 4, input: 1x32x32}
        data:
          train: {format: generated, samples: 128, seed: 4}
          partitions: %d
        training: {epochs: 1, batch: 32, %s}
        spark: {master: 'local[2]', conf: %s}
        output: %s
        """.formatted(partitions, ranks, conf, dir.resolve("run")));
    CommandRun r = CommandRun.of("train", job.toString());
    String printed = r.err();
    assertEquals(status, r.code(), printed);
    String line = r.line("train");
    assertTrue(line.contains(message), "one line naming the problem: " + printed);
  }
}
