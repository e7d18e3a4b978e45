package sparkcnn.driver.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * A four-component JPEG's raw raster (as ImageReader.readRaster returns it: no colour conversion) to RGB. JDK 17
 * builds before the JDK-8274735 backport refuse such files ("Unsupported Image Type") and later ones convert them;
 * converting here gives the same pixels on every build, those of the later builds. Conventions are Adobe's, which
 * wrote nearly all such files and which the JDK and libjpeg follow: the components are stored inverted (255 - ink),
 * and with APP14 transform 2 (YCCK) the first three are YCbCr of (255 - stored C, M, Y). As in the JDK's
 * SimpleCMYKColorSpace, (1 - C)(1 - K) is the light reflected (linear) and is encoded as sRGB: 50% black is sRGB
 * 188, not 128. No ICC profile is applied, so colours are approximate.
 */
final class CmykJpeg {
  /** sRGB code of the linear light (stored ink x stored black) / 255^2, for every product 0 .. 65025. */
  private static final byte[] SRGB = new byte[255 * 255 + 1];

  static {
    for (int p = 0; p < SRGB.length; p++) {
      double v = p / (255.0 * 255.0);
      double e = v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055; // IEC 61966-2-1
      SRGB[p] = (byte) Math.round(255 * e);
    }
  }

  private CmykJpeg() {}

  /** raster: 4 bands of 8 bits (stored C, M, Y, K or Y, Cb, Cr, K); adobeTransform from {@link JpegHeader}. */
  static BufferedImage toRgb(Raster raster, int adobeTransform) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] px = new int[4 * w];
    int[] rgb = new int[w];
    for (int y = 0; y < h; y++) {
      raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, px);
      for (int x = 0; x < w; x++) {
        int a = px[4 * x];
        int b = px[4 * x + 1];
        int c = px[4 * x + 2];
        int k = px[4 * x + 3];
        int ci;
        int mi;
        int yi;
        if (adobeTransform == 2) {
          // JFIF's YCbCr -> RGB gives 255 - stored ink.
          ci = 255 - clamp(a + 1.402 * (c - 128));
          mi = 255 - clamp(a - 0.344136 * (b - 128) - 0.714136 * (c - 128));
          yi = 255 - clamp(a + 1.772 * (b - 128));
        } else {
          ci = a;
          mi = b;
          yi = c;
        }
        // Stored values are 255 - ink, so (1 - C)(1 - K) is stored C times stored K.
        rgb[x] = (SRGB[ci * k] & 0xff) << 16 | (SRGB[mi * k] & 0xff) << 8 | SRGB[yi * k] & 0xff;
      }
      out.setRGB(0, y, w, 1, rgb, 0, w);
    }
    return out;
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
