package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mistakes in job files stop `train` before Spark starts, with exit code 2 and one message naming the file, the
 * key, the bad value and what is allowed. Each case edits the shipped Fashion-MNIST job with one mistake.
 */
class BadJobFilesTest {
  @TempDir
  static Path dir;

  /** name, the mistake (a YAML document), words the message must contain. */
  static Stream<Arguments> mistakes() {
    return Stream.of(
        Arguments.of("unknown top-level key", "modle:\n  architecture: tf_convnet\n",
            new String[] {"unknown key 'modle'", "allowed in the top level", "model"}),
        Arguments.of("unknown nested key", base().replace("  epochs: 1", "  epoch: 1"),
            new String[] {"unknown key 'training.epoch'", "epochs"}),
        Arguments.of("unknown architecture", base().replace("tf_convnet", "tf_convnett"),
            new String[] {"model.architecture", "'tf_convnett'", "one of", "resnet50"}),
        Arguments.of("wrong type for an integer", base().replace("  epochs: 1", "  epochs: ten"),
            new String[] {"training.epochs", "'ten'", "an integer >= 1"}),
        Arguments.of("non-positive batch", base().replace("  batch: 64", "  batch: 0"),
            new String[] {"training.batch", "'0'", "an integer >= 1"}),
        Arguments.of("fractional epochs", base().replace("  epochs: 1", "  epochs: 1.5"),
            new String[] {"training.epochs", "'1.5'", "integer"}),
        Arguments.of("unknown optimizer", base().replace("optimizer: adam", "optimizer: adagrad"),
            new String[] {"training.optimizer", "'adagrad'", "sgd, adam, adamw, rmsprop"}),
        Arguments.of("unknown augmentation", base().replace("[hflip]", "[hflip, jitter]"),
            new String[] {"data.augmentations", "jitter", "hflip, vflip, crop:PAD"}),
        Arguments.of("augmentation with a bad number", base().replace("[hflip]", "[\"crop:x\"]"),
            new String[] {"data.augmentations", "crop:x", "wrong or missing numbers"}),
        Arguments.of("resolution too small", base().replace("tf_convnet", "lenet5").replace("1x28x28", "1x8x8"),
            new String[] {"model.input", "'1x8x8'", "needs at least 1x"}),
        Arguments.of("a network past the heap", base().replace("input: 1x28x28", "input: 1x28x28\n  width: 30"),
            new String[] {"model: tf_convnet: a layer of", "more than a Java array holds", "smaller network"}),
        Arguments.of("malformed input shape", base().replace("input: 1x28x28", "input: 28x28"),
            new String[] {"model.input", "'28x28'", "CxHxW"}),
        Arguments.of("negative learning rate", base().replace("lr: 0.001", "lr: -0.1"),
            new String[] {"training.lr", "'-0.1'", "a number in [0, 10]"}),
        Arguments.of("boolean expected", base().replace("  seed: 7", "  seed: 7\n  nesterov: maybe"),
            new String[] {"training.nesterov", "'maybe'", "true or false"}),
        Arguments.of("unknown data format", base().replace("format: generated", "format: tfrecord"),
            new String[] {"data.train.format", "'tfrecord'", "idx, folder, parquet"}),
        Arguments.of("idx without labels", base().replace("format: generated", "format: idx\n    path: x.gz"),
            new String[] {"data.train.labels", "IDX label file"}),
        Arguments.of("section given a value", base().replace("checkpoint:\n  every_steps: 0", "checkpoint: 5"),
            new String[] {"checkpoint", "'5'", "a section of keys"}),
        Arguments.of("phi together with width", base().replace("input: 1x28x28", "input: 1x28x28\n  phi: 1\n  width: 2"),
            new String[] {"model.phi", "either phi or width"}),
        Arguments.of("only one of mean / std", base().replace("augmentations: [hflip]",
            "augmentations: [hflip]\n  normalization:\n    mean: [0.3]"),
            new String[] {"data.normalization.std", "both mean and std"}),
        Arguments.of("tab indentation", base().replace("  epochs: 1", "\tepochs: 1"),
            new String[] {"tabs are not allowed"}),
        Arguments.of("duplicate key", base().replace("  epochs: 1", "  epochs: 1\n  epochs: 2"),
            new String[] {"key 'epochs' appears twice"}),
        Arguments.of("label smoothing out of range", base().replace("  seed: 7", "  seed: 7\n  label_smoothing: 1.5"),
            new String[] {"training.label_smoothing", "'1.5'", "[0, 0.99]"}),
        Arguments.of("freezing a layer after a trained one", base().replace("  seed: 7", "  seed: 7\n  freeze: [\"2\"]"),
            new String[] {"training.freeze", "a leading run", "layer '0.0'"}),
        Arguments.of("freezing an unknown layer", base().replace("  seed: 7", "  seed: 7\n  freeze: [stage9]"),
            new String[] {"training.freeze", "'stage9' names no layer", "summary --model tf_convnet"}),
        Arguments.of("pre-computed features without a frozen backbone",
            base().replace("  seed: 7", "  seed: 7\n  features: precompute"),
            new String[] {"training.features", "'precompute'", "training.freeze"}),
        Arguments.of("pre-computed features with augmentations",
            base().replace("  seed: 7", "  seed: 7\n  features: precompute\n  freeze: [all_but_head]"),
            new String[] {"data.augmentations", "precompute"}),
        Arguments.of("a features path without pre-computed features",
            base().replace("checkpoint:\n", "features:\n  path: /tmp/f\ncheckpoint:\n"),
            new String[] {"features.path", "'/tmp/f'", "only with training.features: precompute"}),
        Arguments.of("a learning-rate multiplier for an unknown layer",
            base().replace("  seed: 7", "  seed: 7\n  lr_multipliers: {\"12\": 0.1}"),
            new String[] {"training.lr_multipliers", "'12' names no layer"}),
        Arguments.of("a negative learning-rate multiplier",
            base().replace("  seed: 7", "  seed: 7\n  lr_multipliers: {head: -1}"),
            new String[] {"training.lr_multipliers.head", "'-1'", "a number >= 0"}),
        Arguments.of("a class selected twice",
            base().replace("    samples: 256", "    samples: 256\n    select_classes: [1, 1]"),
            new String[] {"data.train.select_classes", "distinct"}),
        Arguments.of("class names of the wrong length", base().replace("augmentations: [hflip]",
            "augmentations: [hflip]\n  class_names: [T-shirt/top, Trouser, Pullover]"),
            new String[] {"data.class_names", "[T-shirt/top, Trouser, Pullover]", "10 names, one per class", "got 3"}),
        Arguments.of("an empty class name", base().replace("augmentations: [hflip]",
            "augmentations: [hflip]\n  class_names: [a, b, c, d, '', f, g, h, i, j]"),
            new String[] {"data.class_names", "non-empty name", "not an empty name"}),
        Arguments.of("a class name twice", base().replace("augmentations: [hflip]",
            "augmentations: [hflip]\n  class_names: [a, b, c, d, e, f, g, h, i, a]"),
            new String[] {"data.class_names", "distinct names ('a' appears twice)"}),
        Arguments.of("class names not a list", base().replace("augmentations: [hflip]",
            "augmentations: [hflip]\n  class_names: cats and dogs"),
            new String[] {"data.class_names", "'cats and dogs'", "a list of names"}));
  }

  static String base() {
    return """
        model:
          architecture: tf_convnet
          classes: 10
          input: 1x28x28
        data:
          train:
            format: generated
            samples: 256
          augmentations: [hflip]
        training:
          epochs: 1
          batch: 64
          optimizer: adam
          lr: 0.001
          seed: 7
        checkpoint:
          every_steps: 0
        """;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void eachMistakeExitsWithTwoAndNamesTheKey(String name, String yaml, String[] words) throws Exception {
    Path file = dir.resolve(name.replaceAll("[^a-z0-9]+", "-") + ".yaml");
    Files.writeString(file, yaml);
    CommandRun r = CommandRun.of("train", file.toString());
    String message = r.err().strip();
    assertEquals(2, r.code(), message);
    assertTrue(message.contains(file.toString()), "names the file: " + message);
    assertEquals(1, message.lines().count(), "one line: " + message);
    for (String w : words) {
      assertTrue(message.contains(w), "'" + w + "' in: " + message);
    }
  }
}
