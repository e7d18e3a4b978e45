package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
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
}
