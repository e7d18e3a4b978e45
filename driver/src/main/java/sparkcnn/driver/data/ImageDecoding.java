package sparkcnn.driver.data;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Encoded image bytes (JPEG, PNG, BMP, GIF: whatever the JDK's ImageIO reads) to uint8 planes (C, H, W): the
 * shorter side scaled to the target (bilinear), the centre cropped, converted to grey (C = 1) or RGB (C = 3).
 */
public final class ImageDecoding {
  /** File name endings the folder sources and scoring pick up (ImageIO reads them all). */
  public static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif");
  /**
   * Default largest width x height decoded: Pillow's MAX_IMAGE_PIXELS (89,478,485, a quarter GiB of 24-bit
   * pixels), which photo sets and users of PIL already live with.
   */
  public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

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

  /**
   * Decodes and fits one image; throws IOException naming what was wrong (the caller adds the path). maxPixels: the
   * largest width x height decoded (see {@link #read}).
   */
  public static byte[] decode(byte[] encoded, int c, int h, int w, long maxPixels) throws IOException {
    return fit(read(encoded, maxPixels), c, h, w);
  }

  /**
   * Encoded bytes to an image, refusing what would hurt the executor or mislead the model: nothing at all, bytes
   * no decoder recognises, a header declaring more than maxPixels pixels (refused from the header alone, before
   * a single pixel buffer exists: a 20000 x 20000 PNG of zeros is 1.2 MB on disk and 1.2 GB decoded), and a JPEG
   * whose data ends early (ImageIO only warns and fills the rest with grey). Four-component JPEGs are converted
   * from CMYK / YCCK here ({@link CmykJpeg}), the EXIF orientation is applied ({@link ExifOrientation}), and an
   * alpha channel is dropped (the colour kept as stored, as PIL's convert("RGB") does, rather than blended over
   * black).
   */
  public static BufferedImage read(byte[] encoded, long maxPixels) throws IOException {
    if (encoded == null || encoded.length == 0) {
      throw new IOException("empty file");
    }
    // In memory: ImageIO.createImageInputStream would spool every image through a temporary file.
    ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded));
    Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
    if (!readers.hasNext()) {
      throw new IOException("not an image: no JPEG, PNG, BMP or GIF signature (starts with " + head(encoded) + ")");
    }
    ImageReader reader = readers.next();
    try {
      reader.setInput(in, true, true);
      int iw = reader.getWidth(0);
      int ih = reader.getHeight(0);
      if ((long) iw * ih > maxPixels) {
        throw new Refused(String.format(Locale.ROOT, "%d x %d = %,d pixels, more than max_pixels %,d (refused "
            + "from the header, before decoding: a decompression bomb, or raise max_pixels)", iw, ih,
            (long) iw * ih, maxPixels));
      }
      List<String> truncated = new ArrayList<>();
      reader.addIIOReadWarningListener((source, warning) -> {
        if (warning.contains("premature end")) {
          truncated.add(warning);
        }
      });
      JpegHeader jpeg = JpegHeader.of(encoded);
      BufferedImage img = jpeg.components() == 4 ? CmykJpeg.toRgb(reader.readRaster(0, null), jpeg.adobeTransform())
          : reader.read(0);
      if (!truncated.isEmpty()) {
        throw new Refused("truncated or corrupt JPEG: the decoder ran out of data (" + truncated.get(0) + ")");
      }
      if (img.getColorModel().hasAlpha() || jpeg.orientation() != 1) {
        img = ExifOrientation.apply(opaque(img), jpeg.orientation());
      }
      return img;
    } catch (Refused e) {
      throw e;
    } catch (IOException e) {
      throw new IOException("unreadable image (" + e.getMessage() + ")");
    } catch (RuntimeException e) {
      throw new IOException("unreadable image (" + e + ")");
    } finally {
      reader.dispose();
      in.close();
    }
  }

  /** What this class refuses itself (the decoder's own failures are wrapped as "unreadable image"). */
  private static final class Refused extends IOException {
    Refused(String message) {
      super(message);
    }
  }

  /**
   * The image as opaque RGB with alpha dropped, from the raster's own samples: drawing it would blend with alpha
   * (rounding the colour of nearly transparent pixels), and getRGB would brighten grey (Java takes grey as linear).
   */
  private static BufferedImage opaque(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    java.awt.image.Raster r = img.getRaster();
    java.awt.image.ColorModel cm = img.getColorModel();
    boolean grey = cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY;
    int[] rgb = new int[w];
    int[] px = new int[r.getNumBands()];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.getPixel(x, y, px);
        if (cm instanceof java.awt.image.IndexColorModel icm) {
          rgb[x] = icm.getRGB(px[0]) & 0xffffff;
        } else {
          int red = to8(px[0], r.getSampleModel().getSampleSize(0));
          int green = grey ? red : to8(px[1], r.getSampleModel().getSampleSize(1));
          int blue = grey ? red : to8(px[2], r.getSampleModel().getSampleSize(2));
          rgb[x] = red << 16 | green << 8 | blue;
        }
      }
      out.setRGB(0, y, w, 1, rgb, 0, w);
    }
    return out;
  }

  /** A sample of `bits` bits as 8 bits, rounded (a 16-bit v * 257 gives v back). */
  private static int to8(int sample, int bits) {
    return bits == 8 ? sample : (int) Math.round(sample * 255.0 / ((1 << bits) - 1));
  }

  /** The first bytes in hex, for a message about what the file is instead. */
  private static String head(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(4, b.length); i++) {
      sb.append(i > 0 ? " " : "").append(String.format("%02x", b[i] & 0xff));
    }
    return sb.toString();
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
}
