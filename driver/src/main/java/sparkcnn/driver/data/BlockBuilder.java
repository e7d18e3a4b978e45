package sparkcnn.driver.data;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Collects decoded samples one by one into a {@link SampleBlock}. */
final class BlockBuilder {
  private final int channels;
  private final int height;
  private final int width;
  private final ByteArrayOutputStream pixels = new ByteArrayOutputStream();
  private final List<Integer> labels = new ArrayList<>();
  private final List<String> sources = new ArrayList<>();

  BlockBuilder(int channels, int height, int width) {
    this.channels = channels;
    this.height = height;
    this.width = width;
  }

  void add(byte[] planes, int label, String source) {
    pixels.write(planes, 0, planes.length);
    labels.add(label);
    sources.add(source);
  }

  SampleBlock build() {
    return new SampleBlock(channels, height, width, pixels.toByteArray(),
        labels.stream().mapToInt(Integer::intValue).toArray(), sources.toArray(new String[0]));
  }
}
