package sparkcnn.jobs;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.train.CheckpointStore;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * A model rebuilt from a checkpoint file alone: its spec, weights, the normalization it was trained with and, for
 * segmentation, the mask value its training ignored (-1: none).
 */
record Checkpoints(ModelSpec spec, Model model, Normalization normalization, long step, int ignoreIndex) {
  static Checkpoints load(String path, Configuration conf) throws IOException {
    Checkpoint.Contents c = CheckpointStore.read(path, conf);
    ModelSpec spec;
    try {
      spec = ModelSpec.fromMap(c.spec());
    } catch (IllegalArgumentException e) {
      throw new IOException(path + ": " + e.getMessage());
    }
    Model model = Zoo.build(spec);
    Checkpoint.restore(c, model, null, path);
    Normalization norm = Normalization.from(c.spec());
    int ignore;
    try {
      ignore = Integer.parseInt(c.spec().getOrDefault("ignore_index", "-1"));
    } catch (NumberFormatException e) {
      throw new IOException(path + ": ignore_index: expected an integer, got '" + c.spec().get("ignore_index") + "'");
    }
    return new Checkpoints(spec, model, norm, c.step(), ignore);
  }
}
