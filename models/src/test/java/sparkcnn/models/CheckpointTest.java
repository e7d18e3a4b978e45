package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.models.layers.Activation;
import sparkcnn.models.layers.BatchNorm2d;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.GlobalAvgPool;
import sparkcnn.models.layers.Linear;
import sparkcnn.models.layers.Sequential;
import sparkcnn.models.optim.Adam;

class CheckpointTest {
  static Model small(int classes) {
    return new Model("small", Sequential.of(new Conv2d(1, 4, 3, 1, 1, 1, 1, false), new BatchNorm2d(4),
        new Activation(Activation.Kind.RELU), new GlobalAvgPool(), new Linear(4, classes, true)), 1, 8, 8);
  }

  /** A trained-a-little model and optimizer written to bytes. */
  private static byte[] written(Model model, Adam adam) throws IOException {
    int[] labels = {0, 1, 2, 0};
    Trainer trainer = new Trainer(model, adam, s -> 0.01f, Trainer.Options.DEFAULT);
    trainer.step(ModelGradientTest.randomInput(new SplittableRandom(1), 4, 1, 8, 8), labels);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Checkpoint.write(out, Map.of("model", "small", "classes", "3"), 17, 2, model, adam);
    return out.toByteArray();
  }

  /**
   * Blocks are read a megabyte (262,144 floats) at a time: a block of 300,300 floats spans two reads, the second
   * partial, and comes back bit for bit.
   */
  @Test
  void blocksLongerThanOneReadComeBackWhole() throws IOException {
    Model model = new Model("wide", Sequential.of(new Linear(1000, 300, true)), 1000).init(3);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Checkpoint.write(out, Map.of("model", "wide"), 1, 0, model, null);
    Checkpoint.Contents c = Checkpoint.read(new ByteArrayInputStream(out.toByteArray()), "mem");
    Model other = new Model("wide", Sequential.of(new Linear(1000, 300, true)), 1000).init(4);
    Checkpoint.restore(c, other, null, "mem");
    assertEquals(300_300, other.params().length);
    assertArrayEquals(model.params(), other.params());
  }

  @Test
  void roundTripRestoresBitIdenticalParametersStateAndOptimizer() throws IOException {
    Model model = small(3).init(1);
    Adam adam = new Adam(0.9f, 0.999f, 1e-8f, 0f, false);
    byte[] bytes = written(model, adam);
    Checkpoint.Contents c = Checkpoint.read(new ByteArrayInputStream(bytes), "mem");
    assertEquals("small", c.spec().get("model"));
    assertEquals(17, c.step());
    assertEquals(2, c.epoch());
    Model other = small(3).init(99);
    Adam otherAdam = new Adam(0.9f, 0.999f, 1e-8f, 0f, false);
    Checkpoint.restore(c, other, otherAdam, "mem");
    assertArrayEquals(model.params(), other.params());
    assertArrayEquals(model.state(), other.state());
    assertArrayEquals(adam.state()[0], otherAdam.state()[0]);
    assertArrayEquals(adam.state()[1], otherAdam.state()[1]);
    assertEquals(17, otherAdam.steps());
  }

  @Test
  void everyCorruptionHasItsOwnMessage() throws IOException {
    byte[] good = written(small(3).init(1), new Adam(0.9f, 0.999f, 1e-8f, 0f, false));

    IOException e = assertThrows(IOException.class,
        () -> Checkpoint.read(new ByteArrayInputStream(Arrays.copyOf(good, good.length - 9)), "cut.ckpt"));
    assertTrue(e.getMessage().contains("cut.ckpt: truncated checkpoint"), e.getMessage());

    byte[] magic = good.clone();
    magic[0] = 'X';
    e = assertThrows(IOException.class, () -> Checkpoint.read(new ByteArrayInputStream(magic), "magic.ckpt"));
    assertTrue(e.getMessage().contains("magic.ckpt: not a SparkCNN checkpoint"), e.getMessage());

    byte[] flipped = good.clone();
    flipped[good.length - 40] ^= 0x10; // inside the last float block
    e = assertThrows(IOException.class, () -> Checkpoint.read(new ByteArrayInputStream(flipped), "crc.ckpt"));
    assertTrue(e.getMessage().contains("crc.ckpt: CRC mismatch"), e.getMessage());

    byte[] version = good.clone();
    version[8] = 7;
    e = assertThrows(IOException.class, () -> Checkpoint.read(new ByteArrayInputStream(version), "v.ckpt"));
    assertTrue(e.getMessage().contains("format version 7 is not supported"), e.getMessage());

    Checkpoint.Contents c = Checkpoint.read(new ByteArrayInputStream(good), "good.ckpt");
    e = assertThrows(IOException.class, () -> Checkpoint.restore(c, small(5), null, "good.ckpt"));
    assertTrue(e.getMessage().contains("block 'params' holds") && e.getMessage().contains("another architecture"),
        e.getMessage());
  }

  /** Names no naive encoding survives: commas, '=', quotes, backslashes, spaces, tabs, non-ASCII, brackets. */
  static final List<String> AWKWARD = List.of("T-shirt/top", "a,b", "x=y=z", "caf\u00e9 \u732b \ud83d\udc08",
      "say \"hi\"", "back\\slash", "  spaced  ", "tab\there", "[not, a list]", "Ankle boot");

  @Test
  void classNamesSurviveTheRoundTripThroughTheSpec() throws IOException {
    Model model = small(AWKWARD.size()).init(1);
    Map<String, String> spec = new LinkedHashMap<>();
    spec.put("architecture", "small");
    spec.put("classes", Integer.toString(AWKWARD.size()));
    spec.put(ClassNames.KEY, ClassNames.encode(AWKWARD));
    spec.put("mean", "0.5");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Checkpoint.write(out, spec, 3, 1, model, null);
    Checkpoint.Contents c = Checkpoint.read(new ByteArrayInputStream(out.toByteArray()), "mem");
    assertEquals(spec, c.spec(), "every key, in order, the names' line intact");
    assertEquals(AWKWARD, ClassNames.from(c.spec(), AWKWARD.size()));
    assertEquals(List.of(), ClassNames.decode(ClassNames.encode(List.of())));
    // A newline is escaped by the encoding; a raw one in a spec value is refused rather than written.
    assertEquals(List.of("two\nlines"), ClassNames.decode(ClassNames.encode(List.of("two\nlines"))));
    spec.put("optimizer", "adam\nclasses=7");
    assertThrows(IllegalArgumentException.class, () -> Checkpoint.write(new ByteArrayOutputStream(), spec, 3, 1,
        model, null));
  }

  @Test
  void aSpecWithoutClassNamesReadsAsIndices() throws IOException {
    // written() stores an old-style spec: no class_names key.
    Checkpoint.Contents c = Checkpoint.read(new ByteArrayInputStream(written(small(3).init(1),
        new Adam(0.9f, 0.999f, 1e-8f, 0f, false))), "old.ckpt");
    assertTrue(!c.spec().containsKey(ClassNames.KEY));
    assertEquals(List.of("0", "1", "2"), ClassNames.from(c.spec(), 3));
    assertTrue(ClassNames.areDefaults(ClassNames.from(c.spec(), 3)));
    assertTrue(!ClassNames.areDefaults(AWKWARD));
  }

  @Test
  void malformedOrMiscountedNamesAreErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClassNames.from(Map.of(ClassNames.KEY, "[\"a\",\"b\"]"), 3));
    assertTrue(e.getMessage().contains("class_names holds 2 names but the model has 3 classes"), e.getMessage());
    for (String bad : new String[] {"a,b", "[\"a\"", "[\"a\" \"b\"]", "[\"a\\q\"]", "[\"a\"] x", "[1]"}) {
      e = assertThrows(IllegalArgumentException.class, () -> ClassNames.decode(bad), bad);
      assertTrue(e.getMessage().startsWith("model spec: class_names is not a JSON array of strings"), e.getMessage());
    }
    assertEquals("an empty name", ClassNames.problem(" "));
    assertEquals("a name with a line break", ClassNames.problem("a\nb"));
    assertEquals(null, ClassNames.problem("a=b, c"));
    assertEquals("b", ClassNames.duplicate(List.of("a", "b", "c", "b")));
  }
}
