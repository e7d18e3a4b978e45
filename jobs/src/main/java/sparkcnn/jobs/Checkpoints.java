package sparkcnn.jobs;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.train.CheckpointStore;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.ClassNames;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * A model rebuilt from a checkpoint file alone: its spec, weights, the normalization it was trained with, its
 * class names (0..K-1 for checkpoints written before names were stored) and, for segmentation, the mask value
 * its training ignored (-1: none).
 */
record Checkpoints(ModelSpec spec, Model model, Normalization normalization, long step, List<String> classNames,
    int ignoreIndex) {
  static Checkpoints load(String path, Configuration conf) throws IOException {
    Checkpoint.Contents c = CheckpointStore.read(path, conf);
    Model model = Zoo.restore(c, path);
    ModelSpec spec = ModelSpec.fromMap(c.spec());
    List<String> names;
    try {
      names = ClassNames.from(c.spec(), spec.classes());
    } catch (IllegalArgumentException e) {
      throw new IOException(path + ": " + e.getMessage());
    }
    int ignore;
    try {
      ignore = Integer.parseInt(c.spec().getOrDefault("ignore_index", "-1"));
    } catch (NumberFormatException e) {
      throw new IOException(path + ": ignore_index: expected an integer, got '" + c.spec().get("ignore_index") + "'");
    }
    return new Checkpoints(spec, model, Normalization.from(c.spec()), c.step(), names, ignore);
  }
}
