package sparkcnn.driver.data;

/**
 * One partition's decoded samples, kept compact: uint8 pixels (C, H, W) per sample back to back, one label each
 * (classification) or one mask each (segmentation), and optionally where each came from. A cached training set
 * is one block per partition: no per-sample objects.
 * A plain class rather than a record so Kryo can rebuild it.
 */
public final class SampleBlock {
  public int channels;
  public int height;
  public int width;
  public byte[] pixels;
  /** One class per sample; all 0 (unused) when {@link #masks} is set. */
  public int[] labels;
  /**
   * Segmentation: H * W class indices per sample (uint8, read as 0..255), back to back; null for classification.
   * A value may be the job's ignore index (e.g. 255: "no label here").
   */
  public byte[] masks;
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

  /** A segmentation block: n samples, their masks (n * H * W), and no labels. */
  public SampleBlock(int channels, int height, int width, byte[] pixels, byte[] masks, String[] sources) {
    this(channels, height, width, pixels, new int[pixels.length / (channels * height * width)], sources);
    this.masks = masks;
  }

  public boolean segmentation() {
    return masks != null;
  }

  public int size() {
    return labels.length;
  }

  public int sampleBytes() {
    return channels * height * width;
  }
}
