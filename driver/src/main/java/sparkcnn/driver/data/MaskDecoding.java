package sparkcnn.driver.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Encoded segmentation masks (8-bit grey or palette PNG; a pixel's value is its class index) to H * W class
 * bytes at the model's input size. The mask is fitted like its image ({@link ImageDecoding#fit}: shorter side
 * scaled to the target, centre cropped) but nearest-neighbour, so every class index stays a class index.
 */
public final class MaskDecoding {
  private MaskDecoding() {}

  /** Decodes and fits one mask; throws IOException naming what was wrong (the caller adds the path). */
  public static byte[] decode(byte[] encoded, int h, int w) throws IOException {
    if (encoded == null || encoded.length == 0) {
      throw new IOException("empty mask file");
    }
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(encoded));
    } catch (IOException | RuntimeException e) {
      throw new IOException("unreadable mask (" + e.getMessage() + ")");
    }
    if (img == null) {
      throw new IOException("mask: not an image ImageIO can read");
    }
    // Palette images keep their indices in the raster; grey ones their levels: both are the classes.
    Raster r = img.getRaster();
    int ih = img.getHeight();
    int iw = img.getWidth();
    byte[] raw = new byte[ih * iw];
    for (int i = 0; i < ih; i++) {
      for (int j = 0; j < iw; j++) {
        int v = r.getSample(j, i, 0);
        for (int b = 1; b < r.getNumBands() && b < 3; b++) {
          if (r.getSample(j, i, b) != v) {
            throw new IOException("mask is a colour image (pixel (" + i + ", " + j + ") is not grey); expected an "
                + "8-bit grey or palette PNG whose values are class indices");
          }
        }
        if (v > 255) {
          throw new IOException("mask pixel (" + i + ", " + j + ") is " + v + "; expected 8-bit class indices");
        }
        raw[i * iw + j] = (byte) v;
      }
    }
    byte[] out = new byte[h * w];
    nearest(raw, 0, ih, iw, out, 0, h, w);
    return out;
  }

  /**
   * Fits an ih x iw mask from src[sOff] into h x w at dst[dOff]: scaled so it covers h x w, centre cropped,
   * nearest neighbour (the same window {@link ImageDecoding#fit} and {@link BlockResize} take of the image).
   */
  public static void nearest(byte[] src, int sOff, int ih, int iw, byte[] dst, int dOff, int h, int w) {
    if (ih == h && iw == w) {
      System.arraycopy(src, sOff, dst, dOff, h * w);
      return;
    }
    double scale = Math.max(h / (double) ih, w / (double) iw);
    double top = (ih * scale - h) / 2;
    double left = (iw * scale - w) / 2;
    for (int i = 0; i < h; i++) {
      int y = Math.min(ih - 1, Math.max(0, (int) Math.floor((i + top + 0.5) / scale)));
      for (int j = 0; j < w; j++) {
        int x = Math.min(iw - 1, Math.max(0, (int) Math.floor((j + left + 0.5) / scale)));
        dst[dOff + i * w + j] = src[sOff + y * iw + x];
      }
    }
  }
}
