package sparkcnn.jobs;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.train.CheckpointStore;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/** A model rebuilt from a checkpoint file alone: its spec, weights and the normalization it was trained with. */
record Checkpoints(ModelSpec spec, Model model, Normalization normalization, long step) {
  static Checkpoints load(String path, Configuration conf) throws IOException {
    Checkpoint.Contents c = CheckpointStore.read(path, conf);
    Model model = Zoo.restore(c, path);
    return new Checkpoints(ModelSpec.fromMap(c.spec()), model, Normalization.from(c.spec()), c.step());
  }
}
