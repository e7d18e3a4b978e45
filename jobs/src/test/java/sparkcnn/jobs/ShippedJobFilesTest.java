package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sparkcnn.jobs.config.JobFile;
import sparkcnn.jobs.config.TrainJob;

/** Every job file shipped under conf/jobs validates (the paths they name need not exist here). */
class ShippedJobFilesTest {
  static Stream<Path> files() throws Exception {
    Path dir = Path.of("..", "conf", "jobs");
    return Files.walk(dir).filter(p -> p.toString().endsWith(".yaml")).sorted();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void validates(Path file) {
    String text = file.toString();
    if (text.contains("sweep")) {
      JobFile sweep = JobFile.load(text, SweepCommand.schema(), List.of());
      assertTrue(Files.exists(Path.of("..").resolve(sweep.string("base"))), "the sweep's base job exists");
      assertFalse(new sparkcnn.jobs.sweep.SearchSpace(sweep).candidates().isEmpty());
    } else if (text.contains("score")) {
      JobFile score = JobFile.load(text, ScoreCommand.schema(), List.of());
      assertFalse(score.list("checkpoints").isEmpty());
    } else {
      TrainJob job = new TrainJob(text, List.of());
      assertEquals(job.model.classes(), (int) job.job.integer("model.classes"));
      if (text.contains("fashion-convnet")) {
        // Fashion-MNIST's labels 0-9, so evaluate's confusion matrix reads as clothes.
        assertEquals(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
            "Bag", "Ankle boot"), job.classNames);
      }
    }
  }
}
