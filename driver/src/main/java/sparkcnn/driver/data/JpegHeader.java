package sparkcnn.driver.data;

/**
 * What a JPEG's markers before its first scan say that ImageIO does not act on: the component count of the frame
 * (4: CMYK or YCCK), Adobe's APP14 colour transform (0: none, 1: YCbCr, 2: YCCK; -1: no Adobe segment) and the EXIF
 * orientation (APP1 "Exif", TIFF tag 0x0112; 1: upright). A malformed segment is ignored here: the decoder that
 * reads the image afterwards names what is wrong with it.
 */
record JpegHeader(int components, int adobeTransform, int orientation) {
  private static final JpegHeader NONE = new JpegHeader(0, -1, 1);

  /** The header of JPEG bytes; anything else (or a header this walk cannot follow) reads as NONE. */
  static JpegHeader of(byte[] b) {
    if (b.length < 4 || u8(b, 0) != 0xFF || u8(b, 1) != 0xD8) {
      return NONE;
    }
    int components = 0;
    int adobe = -1;
    int orientation = 1;
    int p = 2;
    while (p + 4 <= b.length) {
      if (u8(b, p) != 0xFF) {
        break;
      }
      int marker = u8(b, p + 1);
      if (marker == 0xFF) { // fill byte before a marker
        p++;
        continue;
      }
      if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD8) { // markers without a length
        p += 2;
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) { // start of scan, end of image: the header is over
        break;
      }
      int len = u16(b, p + 2, false);
      int data = p + 4;
      int end = p + 2 + len;
      if (len < 2 || end > b.length) {
        break;
      }
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof && len >= 8) {
        components = u8(b, data + 5);
      } else if (marker == 0xEE && len >= 14 && ascii(b, data, "Adobe")) {
        adobe = u8(b, data + 11);
      } else if (marker == 0xE1 && len >= 16 && ascii(b, data, "Exif\0\0")) {
        orientation = exifOrientation(b, data + 6, end);
      }
      p = end;
    }
    return new JpegHeader(components, adobe, orientation);
  }

  /** Tag 0x0112 of the TIFF structure at t (its first IFD), or 1. */
  private static int exifOrientation(byte[] b, int t, int end) {
    if (t + 8 > end) {
      return 1;
    }
    boolean little;
    if (u8(b, t) == 'I' && u8(b, t + 1) == 'I') {
      little = true;
    } else if (u8(b, t) == 'M' && u8(b, t + 1) == 'M') {
      little = false;
    } else {
      return 1;
    }
    long ifd = u32(b, t + 4, little);
    if (ifd < 8 || t + ifd + 2 > end) {
      return 1;
    }
    int at = (int) (t + ifd);
    int entries = u16(b, at, little);
    for (int i = 0; i < entries; i++) {
      int e = at + 2 + 12 * i;
      if (e + 12 > end) {
        break;
      }
      // An entry: tag, type (3: SHORT), count, value (a SHORT sits in the first two of the four value bytes).
      if (u16(b, e, little) == 0x0112 && u16(b, e + 2, little) == 3) {
        int v = u16(b, e + 8, little);
        return v >= 1 && v <= 8 ? v : 1;
      }
    }
    return 1;
  }

  private static boolean ascii(byte[] b, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (at + i >= b.length || b[at + i] != (byte) s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int u8(byte[] b, int i) {
    return b[i] & 0xff;
  }

  private static int u16(byte[] b, int i, boolean little) {
    return little ? u8(b, i) | u8(b, i + 1) << 8 : u8(b, i) << 8 | u8(b, i + 1);
  }

  private static long u32(byte[] b, int i, boolean little) {
    return little ? (u16(b, i, true) | (long) u16(b, i + 2, true) << 16)
        : ((long) u16(b, i, false) << 16 | u16(b, i + 2, false));
  }
}
