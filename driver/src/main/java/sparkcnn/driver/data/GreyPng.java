package sparkcnn.driver.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * 8-bit grey PNGs of raw bytes, and back. Masks travel this way: a pixel's grey level IS its class index, so
 * encoding must not convert colours or interpolate (a TYPE_BYTE_GRAY raster written and read sample by sample).
 */
public final class GreyPng {
  private GreyPng() {}

  /** h x w row-major bytes as a PNG file's bytes. */
  public static byte[] encode(byte[] px, int off, int h, int w) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < w; j++) {
        img.getRaster().setSample(j, i, 0, px[off + i * w + j] & 0xff);
      }
    }
    return encode(img);
  }

  /** Any image as PNG bytes. */
  public static byte[] encode(BufferedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to memory cannot fail
    }
    return out.toByteArray();
  }
}
