package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.data.ImageDecoding;

/**
 * The decoder on hostile and odd files (built by {@link HostileImages}): every bad one is an IOException naming
 * what is wrong, never a hang, an OutOfMemoryError or garbage pixels; every odd but valid one decodes to what it
 * shows (16-bit grey as its 8-bit levels, RGBA with its colour, a palette as its colours, CMYK and YCCK as RGB,
 * an EXIF-rotated photo upright).
 */
class HostileImagesTest {
  private static final long MAX = ImageDecoding.DEFAULT_MAX_PIXELS;

  @Test
  void eachBadFileIsOneErrorNamingWhatIsWrongAndEachOddOneDecodes() {
    for (HostileImages.Sample s : HostileImages.all()) {
      if (s.error() == null) {
        try {
          byte[] px = ImageDecoding.decode(s.bytes(), 3, 16, 16, MAX);
          assertEquals(3 * 16 * 16, px.length, s.name());
        } catch (IOException e) {
          throw new AssertionError(s.name() + " should decode: " + e.getMessage(), e);
        }
      } else {
        IOException e = assertThrows(IOException.class, () -> ImageDecoding.decode(s.bytes(), 3, 16, 16, MAX),
            s.name());
        assertTrue(e.getMessage().contains(s.error()), s.name() + ": " + e.getMessage());
      }
      assertTrue(ImageDecoding.isImageFile(s.name()), s.name());
    }
  }

  @Test
  void aBombIsRefusedFromItsHeaderAtTheLimitAndNotBelowIt() throws IOException {
    byte[] png = HostileImages.png(HostileImages.noise(10, 10, new Random(1), false));
    assertEquals(10, ImageDecoding.read(png, 100).getWidth());
    IOException e = assertThrows(IOException.class, () -> ImageDecoding.read(png, 99));
    assertEquals("10 x 10 = 100 pixels, more than max_pixels 99 (refused from the header, before decoding: a "
        + "decompression bomb, or raise max_pixels)", e.getMessage());
    // 1.2 GB if decoded; refused with the same message whatever the heap.
    e = assertThrows(IOException.class, () -> ImageDecoding.read(HostileImages.pngBomb(20000, 20000), MAX));
    assertTrue(e.getMessage().startsWith("20000 x 20000 = 400,000,000 pixels, more than max_pixels 89,478,485"),
        e.getMessage());
  }

  @Test
  void sixteenBitGreyDecodesAsItsEightBitLevels() throws IOException {
    int[] levels = {0, 37, 128, 201, 255};
    byte[] g16 = ImageDecoding.decode(HostileImages.png(HostileImages.grey16(levels, 5)), 1, 5, 5, MAX);
    byte[] g8 = ImageDecoding.decode(HostileImages.png(HostileImages.grey8(levels, 5)), 1, 5, 5, MAX);
    assertArrayEquals(g8, g16);
    for (int x = 0; x < 5; x++) {
      assertEquals(levels[x], g16[x] & 0xff, "column " + x);
    }
  }

  @Test
  void alphaIsDroppedNotBlendedOverBlack() throws IOException {
    BufferedImage rgba = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        rgba.setRGB(x, y, (x * 60 + 10) << 24 | 200 << 16 | 100 << 8 | 50); // alpha 10 .. 190
      }
    }
    byte[] px = ImageDecoding.decode(HostileImages.png(rgba), 3, 4, 4, MAX);
    for (int i = 0; i < 16; i++) {
      assertEquals(200, px[i] & 0xff, "red at " + i);
      assertEquals(100, px[16 + i] & 0xff, "green at " + i);
      assertEquals(50, px[32 + i] & 0xff, "blue at " + i);
    }
  }

  @Test
  void aPaletteDecodesAsItsColours() throws IOException {
    byte[] px = ImageDecoding.decode(HostileImages.png(HostileImages.palette(6, 6)), 3, 6, 6, MAX);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 6; x++) {
        int rgb = HostileImages.PALETTE[(x + y) % 4];
        int at = y * 6 + x;
        assertEquals(rgb >> 16 & 0xff, px[at] & 0xff);
        assertEquals(rgb >> 8 & 0xff, px[36 + at] & 0xff);
        assertEquals(rgb & 0xff, px[72 + at] & 0xff);
      }
    }
  }

  @Test
  void cmykAndYcckJpegsDecodeToTheirColours() throws IOException {
    for (int transform : new int[] {0, 2}) {
      byte[] px = ImageDecoding.decode(HostileImages.cmykJpeg(HostileImages.inks(16, 16), transform), 3, 16, 16, MAX);
      // Block centres away from the edge between the halves: red on the left, blue on the right.
      int left = 8 * 16 + 3;
      int right = 8 * 16 + 12;
      String what = "transform " + transform;
      assertTrue(Math.abs((px[left] & 0xff) - 255) <= 6 && (px[256 + left] & 0xff) <= 6
          && (px[512 + left] & 0xff) <= 6, what + " left not red");
      assertTrue((px[right] & 0xff) <= 6 && (px[256 + right] & 0xff) <= 6
          && Math.abs((px[512 + right] & 0xff) - 255) <= 6, what + " right not blue");
    }
  }

  @Test
  void cmykConversionMatchesTheJdksOwnWhereTheJdkHasOne() throws IOException {
    Random r = new Random(3);
    int[][] inks = new int[16 * 16][];
    for (int i = 0; i < inks.length; i++) {
      int base = (i % 16) * 12;
      inks[i] = new int[] {base, 255 - base, (i / 16) * 14, 20 + r.nextInt(8)};
    }
    for (int transform : new int[] {0, 2}) {
      byte[] jpg = HostileImages.cmykJpeg(inks, transform);
      BufferedImage jdk;
      try {
        jdk = ImageIO.read(new ByteArrayInputStream(jpg));
      } catch (IOException e) {
        jdk = null; // JDK 17 builds before the JDK-8274735 backport refuse CMYK JPEGs
      }
      Assumptions.assumeTrue(jdk != null, "this JDK has no CMYK JPEG conversion to compare with");
      byte[] ours = ImageDecoding.decode(jpg, 3, 16, 16, MAX);
      byte[] theirs = ImageDecoding.fit(jdk, 3, 16, 16);
      for (int i = 0; i < ours.length; i++) {
        assertTrue(Math.abs((ours[i] & 0xff) - (theirs[i] & 0xff)) <= 3, "transform " + transform + " value " + i
            + ": ours " + (ours[i] & 0xff) + ", the JDK's " + (theirs[i] & 0xff));
      }
    }
  }

  /** 24 x 16 upright: six 8 x 8 blocks of distinct colours, row-major. */
  private static final int[] BLOCKS = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff, 0xffffff};

  private static BufferedImage upright() {
    BufferedImage img = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 24; x++) {
        img.setRGB(x, y, BLOCKS[(y / 8) * 3 + x / 8]);
      }
    }
    return img;
  }

  /** The image turned 90 degrees clockwise: its top row becomes the right column. */
  private static BufferedImage clockwise(BufferedImage s) {
    BufferedImage o = new BufferedImage(s.getHeight(), s.getWidth(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < s.getHeight(); y++) {
      for (int x = 0; x < s.getWidth(); x++) {
        o.setRGB(s.getHeight() - 1 - y, x, s.getRGB(x, y));
      }
    }
    return o;
  }

  private static BufferedImage mirrored(BufferedImage s) {
    BufferedImage o = new BufferedImage(s.getWidth(), s.getHeight(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < s.getHeight(); y++) {
      for (int x = 0; x < s.getWidth(); x++) {
        o.setRGB(s.getWidth() - 1 - x, y, s.getRGB(x, y));
      }
    }
    return o;
  }

  /** What a camera stores for an upright scene under each EXIF orientation (the inverse of the display step). */
  private static BufferedImage stored(BufferedImage u, int orientation) {
    return switch (orientation) {
      case 1 -> u;
      case 2 -> mirrored(u);
      case 3 -> clockwise(clockwise(u));
      case 4 -> mirrored(clockwise(clockwise(u)));
      case 5 -> mirrored(clockwise(u)); // the transpose
      case 6 -> clockwise(clockwise(clockwise(u))); // shown after a clockwise turn: stored counter-clockwise
      case 7 -> clockwise(clockwise(mirrored(clockwise(u)))); // the transverse
      default -> clockwise(u); // 8: shown after a counter-clockwise turn
    };
  }

  @Test
  void exifOrientedJpegsDecodeUprightInBothByteOrders() throws IOException {
    for (int o = 1; o <= 8; o++) {
      for (boolean bigEndian : new boolean[] {true, false}) {
        byte[] jpg = HostileImages.withExif(HostileImages.jpeg(stored(upright(), o)), o, bigEndian);
        byte[] px = ImageDecoding.decode(jpg, 3, 16, 24, MAX);
        for (int b = 0; b < 6; b++) {
          int at = (b / 3 * 8 + 4) * 24 + b % 3 * 8 + 4; // the block's centre
          int rgb = BLOCKS[b];
          int[] got = {px[at] & 0xff, px[384 + at] & 0xff, px[768 + at] & 0xff};
          int[] want = {rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff};
          for (int ch = 0; ch < 3; ch++) {
            assertTrue(Math.abs(got[ch] - want[ch]) <= 24, "orientation " + o + (bigEndian ? " MM" : " II")
                + " block " + b + ": got " + java.util.Arrays.toString(got) + ", want " + java.util.Arrays
                .toString(want));
          }
        }
      }
    }
  }
}
