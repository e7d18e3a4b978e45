package sparkcnn.ml;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/** An untrained tiny tf_convnet (3 classes, 1x12x12) written as a checkpoint file, for tests that only score. */
final class TinyCheckpoint {
  static final ModelSpec SPEC = Zoo.spec("tf_convnet", 3, new int[] {1, 12, 12}, new Scaling(0.25, 1, 1));

  private TinyCheckpoint() {}

  static Path write(Path dir) throws IOException {
    Model m = Zoo.build(SPEC).init(11);
    Path file = dir.resolve("tiny.ckpt");
    try (OutputStream out = Files.newOutputStream(file)) {
      Checkpoint.write(out, Map.copyOf(SPEC.toMap()), 0, 0, m, null);
    }
    return file;
  }
}
