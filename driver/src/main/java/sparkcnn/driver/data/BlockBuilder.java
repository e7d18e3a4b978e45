package sparkcnn.driver.data;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Collects decoded samples one by one into a {@link SampleBlock}. */
public final class BlockBuilder {
  private final int channels;
  private final int height;
  private final int width;
  private final ByteArrayOutputStream pixels = new ByteArrayOutputStream();
  private final List<Integer> labels = new ArrayList<>();
  private final List<String> sources = new ArrayList<>();
  private final ByteArrayOutputStream masks = new ByteArrayOutputStream();
  private final boolean segmentation;

  public BlockBuilder(int channels, int height, int width) {
    this(channels, height, width, false);
  }

  /** segmentation: samples come with masks (an empty block then still is a segmentation block). */
  BlockBuilder(int channels, int height, int width, boolean segmentation) {
    this.segmentation = segmentation;
    this.channels = channels;
    this.height = height;
    this.width = width;
  }

  public void add(byte[] planes, int label, String source) {
    pixels.write(planes, 0, planes.length);
    labels.add(label);
    sources.add(source);
  }

  /** A segmentation sample: its planes and its H * W mask. */
  void add(byte[] planes, byte[] mask, String source) {
    pixels.write(planes, 0, planes.length);
    masks.write(mask, 0, mask.length);
    labels.add(0);
    sources.add(source);
  }

  public SampleBlock build() {
    if (segmentation) {
      return new SampleBlock(channels, height, width, pixels.toByteArray(), masks.toByteArray(),
          sources.toArray(new String[0]));
    }
    return new SampleBlock(channels, height, width, pixels.toByteArray(),
        labels.stream().mapToInt(Integer::intValue).toArray(), sources.toArray(new String[0]));
  }
}
