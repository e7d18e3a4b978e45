package sparkcnn.driver.score;

import java.awt.image.BufferedImage;

/**
 * A predicted mask shown over its image: every pixel of a class other than 0 (background) is blended half and
 * half with its class's colour from a fixed palette (the same colour for a class in every overlay).
 */
public final class Overlay {
  /** Distinct hues (RGB); class k > 0 takes PALETTE[(k - 1) mod length]. */
  static final int[] PALETTE = {0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4, 0x46f0f0, 0xf032e6,
      0xbcf60c, 0xfabebe, 0x008080, 0xe6beff, 0x9a6324, 0x800000, 0xaaffc3, 0x808000};

  private Overlay() {}

  /** The RGB colour of class k (background: none, -1). */
  public static int colour(int k) {
    return k == 0 ? -1 : PALETTE[(k - 1) % PALETTE.length];
  }

  /** planes: the image as fitted to the model (C, H, W) uint8, grey or RGB; mask: H * W class indices. */
  public static BufferedImage blend(byte[] planes, int c, int h, int w, byte[] mask) {
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int plane = h * w;
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < w; j++) {
        int p = i * w + j;
        int r = planes[p] & 0xff;
        int g = c == 3 ? planes[plane + p] & 0xff : r;
        int b = c == 3 ? planes[2 * plane + p] & 0xff : r;
        int colour = colour(mask[p] & 0xff);
        if (colour >= 0) {
          r = (r + (colour >> 16 & 0xff)) / 2;
          g = (g + (colour >> 8 & 0xff)) / 2;
          b = (b + (colour & 0xff)) / 2;
        }
        out.setRGB(j, i, r << 16 | g << 8 | b);
      }
    }
    return out;
  }
}
