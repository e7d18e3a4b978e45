package sparkcnn.driver.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Encoded image bytes (JPEG, PNG, BMP, GIF: whatever the JDK's ImageIO reads) to uint8 planes (C, H, W): the
 * shorter side scaled to the target (bilinear), the centre cropped, converted to grey (C = 1) or RGB (C = 3).
 */
public final class ImageDecoding {
  /** File name endings the folder sources and scoring pick up (ImageIO reads them all). */
  public static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif");

  private ImageDecoding() {}

  /**
   * n uint8 pixels from px[from] as floats in [0, 1] into out[to]: the one scaling that training, evaluation and
   * scoring share, so a model scores exactly the inputs it was evaluated on.
   */
  public static void toUnit(byte[] px, int from, float[] out, int to, int n) {
    for (int i = 0; i < n; i++) {
      out[to + i] = (px[from + i] & 0xff) * (1f / 255f);
    }
  }

  /** Whether a file name has one of {@link #EXTENSIONS}, in any case. */
  public static boolean isImageFile(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return EXTENSIONS.stream().anyMatch(n::endsWith);
  }

  /** Decodes and fits one image; throws IOException naming what was wrong (the caller adds the path). */
  public static byte[] decode(byte[] encoded, int c, int h, int w) throws IOException {
    if (encoded == null || encoded.length == 0) {
      throw new IOException("empty file");
    }
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(encoded));
    } catch (IOException | RuntimeException e) {
      throw new IOException("unreadable image (" + e.getMessage() + ")");
    }
    if (img == null) {
      throw new IOException("not an image ImageIO can read");
    }
    return fit(img, c, h, w);
  }

  /** Scales the shorter side to fit h x w, crops the centre, and returns planes of c channels. */
  public static byte[] fit(BufferedImage img, int c, int h, int w) {
    double scale = Math.max(h / (double) img.getHeight(), w / (double) img.getWidth());
    int sh = Math.max(h, (int) Math.round(img.getHeight() * scale));
    int sw = Math.max(w, (int) Math.round(img.getWidth() * scale));
    BufferedImage scaled = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scaled.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(img, -(sw - w) / 2, -(sh - h) / 2, sw, sh, null);
    g.dispose();
    byte[] out = new byte[c * h * w];
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < w; j++) {
        int rgb = scaled.getRGB(j, i);
        int r = (rgb >> 16) & 0xff;
        int gr = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (c == 1) {
          out[i * w + j] = (byte) Math.round(0.299 * r + 0.587 * gr + 0.114 * b);
        } else {
          out[i * w + j] = (byte) r;
          out[(h + i) * w + j] = (byte) gr;
          out[(2 * h + i) * w + j] = (byte) b;
        }
      }
    }
    return out;
  }

  /**
   * A row of Spark's image data source schema (origin, height, width, nChannels, mode, data: 8-bit, row-major,
   * BGR(A) order) fitted and converted like a decoded file: the same planes whichever way an image arrives.
   */
  public static byte[] fromSparkImage(org.apache.spark.sql.Row s, int c, int h, int w) throws IOException {
    if (s == null) {
      throw new IOException("no image (null)");
    }
    int ih = s.getInt(1);
    int iw = s.getInt(2);
    int nc = s.getInt(3);
    byte[] data = (byte[]) s.get(5);
    if (ih <= 0 || iw <= 0 || data == null || data.length < ih * iw * nc) {
      throw new IOException("invalid image (Spark's image source could not decode it)");
    }
    BufferedImage img = new BufferedImage(iw, ih, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < ih; i++) {
      for (int j = 0; j < iw; j++) {
        int o = (i * iw + j) * nc;
        int b = data[o] & 0xff;
        int g = nc > 1 ? data[o + 1] & 0xff : b;
        int r = nc > 2 ? data[o + 2] & 0xff : b;
        img.setRGB(j, i, (r << 16) | (g << 8) | b);
      }
    }
    return fit(img, c, h, w);
  }
}
