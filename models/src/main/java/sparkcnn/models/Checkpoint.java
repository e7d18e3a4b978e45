package sparkcnn.models;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import sparkcnn.models.optim.Optimizer;

/**
 * The checkpoint format: everything little-endian, no Java serialization.
 *
 * <pre>
 * magic "SPARKCNN" | int32 format version (1) | int32 n, n bytes UTF-8 spec | int64 step | int32 epoch
 * | int32 blocks | per block: int32 n, n bytes UTF-8 name, int32 floats, floats... | int32 CRC32 of all before
 * </pre>
 *
 * The spec is "key=value" lines (model, input, classes, scaling, optimizer, class names: {@link ClassNames}) from
 * which the model can be rebuilt; no key or value may hold a line break, and a reader ignores keys it does not know
 * and defaults the ones an older writer did not have.
 * Blocks are "params", "state", then "optimizer.0", "optimizer.1", ... Reading checks magic, version, length,
 * CRC and, on restore, that every block fits the model it is restored into. Streams are given by the caller, so
 * the same code writes to a local file or to any Hadoop FileSystem.
 */
public final class Checkpoint {
  static final byte[] MAGIC = "SPARKCNN".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;

  /** A checkpoint as read: its spec, position and float blocks by name. */
  public record Contents(Map<String, String> spec, long step, int epoch, Map<String, float[]> blocks) {}

  private Checkpoint() {}

  /** Writes model parameters, state and optimizer buffers with a spec of key=value pairs. */
  public static void write(OutputStream out, Map<String, String> spec, long step, int epoch, Model model,
      Optimizer optimizer) throws IOException {
    Map<String, float[]> blocks = new LinkedHashMap<>();
    blocks.put("params", model.params());
    blocks.put("state", model.state());
    if (optimizer != null && optimizer.state() != null) {
      float[][] s = optimizer.state();
      for (int i = 0; i < s.length; i++) {
        if (s[i] != null) {
          blocks.put("optimizer." + i, s[i]);
        }
      }
    }
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.write(MAGIC);
    header.write(ints(VERSION));
    StringBuilder sb = new StringBuilder();
    spec.forEach((k, v) -> {
      if (k.isEmpty() || k.indexOf('=') >= 0 || (k + v).indexOf('\n') >= 0 || (k + v).indexOf('\r') >= 0) {
        throw new IllegalArgumentException("checkpoint spec entry '" + k + "' cannot be stored (keys must be "
            + "non-empty without '=', and neither keys nor values may hold a line break)");
      }
      sb.append(k).append('=').append(v).append('\n');
    });
    byte[] specBytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    header.write(ints(specBytes.length));
    header.write(specBytes);
    header.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(step).putInt(epoch).array());
    header.write(ints(blocks.size()));
    CRC32 crc = new CRC32();
    emit(out, crc, header.toByteArray());
    for (Map.Entry<String, float[]> e : blocks.entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      float[] data = e.getValue();
      emit(out, crc, ints(name.length));
      emit(out, crc, name);
      emit(out, crc, ints(data.length));
      ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < data.length; i++) {
        if (buf.remaining() < 4) {
          emit(out, crc, buf.array(), buf.position());
          buf.clear();
        }
        buf.putFloat(data[i]);
      }
      emit(out, crc, buf.array(), buf.position());
    }
    out.write(ints((int) crc.getValue()));
    out.flush();
  }

  /** Reads and verifies a checkpoint; {@code source} names it in errors. */
  public static Contents read(InputStream in, String source) throws IOException {
    CRC32 crc = new CRC32();
    DataInputStream data = new DataInputStream(in);
    try {
      byte[] magic = take(data, crc, MAGIC.length);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IOException(source + ": not a SparkCNN checkpoint (wrong magic bytes '"
            + new String(magic, StandardCharsets.ISO_8859_1) + "', expected 'SPARKCNN')");
      }
      int version = readInt(data, crc);
      if (version != VERSION) {
        throw new IOException(source + ": checkpoint format version " + version + " is not supported (this build reads "
            + VERSION + ")");
      }
      int specLength = length(readInt(data, crc), source, "spec");
      Map<String, String> spec = new LinkedHashMap<>();
      for (String line : new String(take(data, crc, specLength), StandardCharsets.UTF_8).split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          spec.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      ByteBuffer pos = ByteBuffer.wrap(take(data, crc, 12)).order(ByteOrder.LITTLE_ENDIAN);
      long step = pos.getLong();
      int epoch = pos.getInt();
      int count = length(readInt(data, crc), source, "block count");
      Map<String, float[]> blocks = new LinkedHashMap<>();
      for (int b = 0; b < count; b++) {
        String name = new String(take(data, crc, length(readInt(data, crc), source, "block name")), StandardCharsets.UTF_8);
        int floats = length(readInt(data, crc), source, "block '" + name + "'");
        blocks.put(name, floats(data, crc, floats));
      }
      int computed = (int) crc.getValue();
      int stored = Integer.reverseBytes(data.readInt());
      if (stored != computed) {
        throw new IOException(source + ": CRC mismatch (stored " + Integer.toHexString(stored) + ", computed "
            + Integer.toHexString(computed) + "): the file is corrupt");
      }
      return new Contents(spec, step, epoch, blocks);
    } catch (EOFException e) {
      throw new IOException(source + ": truncated checkpoint (the file ends before its CRC)", e);
    }
  }

  /** Copies params, state and optimizer buffers into a model and optimizer that must match their sizes. */
  public static void restore(Contents c, Model model, Optimizer optimizer, String source) throws IOException {
    copy(c, "params", model.params(), model, source);
    copy(c, "state", model.state(), model, source);
    if (optimizer != null) {
      List<float[]> buffers = new ArrayList<>();
      for (int i = 0; c.blocks().containsKey("optimizer." + i); i++) {
        float[] b = c.blocks().get("optimizer." + i);
        if (b.length != model.paramCount()) {
          throw new IOException(source + ": optimizer block " + i + " holds " + b.length + " floats but model '"
              + model.name() + "' has " + model.paramCount() + " parameters");
        }
        buffers.add(b.clone());
      }
      if (!buffers.isEmpty()) {
        optimizer.setState(buffers.toArray(new float[0][]));
      }
      optimizer.setSteps(c.step());
    }
  }

  private static void copy(Contents c, String name, float[] into, Model model, String source) throws IOException {
    float[] b = c.blocks().get(name);
    if (b == null) {
      throw new IOException(source + ": has no '" + name + "' block");
    }
    if (b.length != into.length) {
      throw new IOException(source + ": block '" + name + "' holds " + b.length + " floats but model '" + model.name()
          + "' " + c.spec().getOrDefault("model", "") + " needs " + into.length
          + " (the checkpoint is for another architecture, input or class count)");
    }
    System.arraycopy(b, 0, into, 0, b.length);
  }

  private static byte[] ints(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  private static void emit(OutputStream out, CRC32 crc, byte[] b) throws IOException {
    emit(out, crc, b, b.length);
  }

  private static void emit(OutputStream out, CRC32 crc, byte[] b, int n) throws IOException {
    crc.update(b, 0, n);
    out.write(b, 0, n);
  }

  private static byte[] take(DataInputStream in, CRC32 crc, int n) throws IOException {
    byte[] b = new byte[n];
    in.readFully(b);
    crc.update(b);
    return b;
  }

  /**
   * n little-endian floats, read a megabyte at a time: the block's bytes as one array (n * 4) wrapped past 2^31
   * for blocks of over 537 million floats, and doubled the memory a restore needs.
   */
  private static float[] floats(DataInputStream in, CRC32 crc, int n) throws IOException {
    float[] values = new float[n];
    byte[] chunk = new byte[(int) Math.min(4L * n, 1 << 20)];
    for (int done = 0; done < n; ) {
      int count = Math.min(n - done, chunk.length / 4);
      in.readFully(chunk, 0, 4 * count);
      crc.update(chunk, 0, 4 * count);
      ByteBuffer.wrap(chunk, 0, 4 * count).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values, done, count);
      done += count;
    }
    return values;
  }

  private static int readInt(DataInputStream in, CRC32 crc) throws IOException {
    return ByteBuffer.wrap(take(in, crc, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  /** A length field, sanity-checked so a corrupt one fails with a message instead of a huge allocation. */
  private static int length(int n, String source, String what) throws IOException {
    if (n < 0 || n > (1 << 30)) {
      throw new IOException(source + ": corrupt checkpoint (" + what + " length " + n + ")");
    }
    return n;
  }
}
