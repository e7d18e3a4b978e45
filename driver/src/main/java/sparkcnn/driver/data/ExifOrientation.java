package sparkcnn.driver.data;

import java.awt.image.BufferedImage;

/**
 * Turns a stored image upright as its EXIF orientation tag says (cameras store the sensor's rows and tag how to
 * display them; ImageIO ignores the tag). Values follow the EXIF 2.3 / TIFF 6.0 definition of tag 0x0112: 1 as
 * stored, 2 mirrored left-right, 3 rotated 180 degrees, 4 mirrored top-bottom, 5 transposed, 6 rotated 90 degrees
 * clockwise, 7 transversed, 8 rotated 90 degrees counter-clockwise. The result is opaque RGB.
 */
final class ExifOrientation {
  private ExifOrientation() {}

  static BufferedImage apply(BufferedImage img, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return img;
    }
    int w = img.getWidth();
    int h = img.getHeight();
    boolean swap = orientation >= 5;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    int[] src = img.getRGB(0, 0, w, h, null, 0, w);
    int[] dst = new int[ow * oh];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        // (sx, sy): the stored pixel shown at (x, y).
        int sx;
        int sy;
        switch (orientation) {
          case 2 -> { sx = w - 1 - x; sy = y; }
          case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
          case 4 -> { sx = x; sy = h - 1 - y; }
          case 5 -> { sx = y; sy = x; }
          case 6 -> { sx = y; sy = h - 1 - x; }
          case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
          default -> { sx = w - 1 - y; sy = x; }
        }
        dst[y * ow + x] = src[sy * w + sx];
      }
    }
    BufferedImage out = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
    out.setRGB(0, 0, ow, oh, dst, 0, ow);
    return out;
  }
}
