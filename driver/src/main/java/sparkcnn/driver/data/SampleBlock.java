package sparkcnn.driver.data;

/**
 * One partition's decoded samples, kept compact: uint8 pixels (C, H, W) per sample back to back, one label each,
 * and optionally where each came from. A cached training set is one block per partition: no per-sample objects.
 * A plain class rather than a record so Kryo can rebuild it.
 */
public final class SampleBlock {
  public int channels;
  public int height;
  public int width;
  public byte[] pixels;
  public int[] labels;
  /** Per-sample source (file path or record number) for error reports; may be null. */
  public String[] sources;
  /**
   * Pre-computed features of a frozen backbone instead of pixels (null for images): float (C, H, W) per sample,
   * back to back, the shape in channels / height / width.
   */
  public float[] features;

  public SampleBlock() {}

  public SampleBlock(int channels, int height, int width, byte[] pixels, int[] labels, String[] sources) {
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.pixels = pixels;
    this.labels = labels;
    this.sources = sources;
  }

  /** A block of pre-computed features (see {@link #features}). */
  public static SampleBlock ofFeatures(int[] shape, float[] features, int[] labels) {
    SampleBlock b = new SampleBlock(shape[0], shape[1], shape[2], null, labels, null);
    b.features = features;
    return b;
  }

  public int size() {
    return labels.length;
  }

  public int sampleBytes() {
    return channels * height * width;
  }
}
