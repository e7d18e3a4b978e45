package sparkcnn.jobs;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Hostile and odd image files, built by the tests rather than committed: ImageIO's writers for the ordinary
 * kinds, hand-assembled bytes for what no JDK writer makes (an EXIF orientation tag, Adobe's CMYK / YCCK marker,
 * a header declaring 20000 x 20000 pixels over a few bytes of data).
 */
final class HostileImages {
  /** A file to write: its name, bytes, and a fragment of the error decoding must report (null: it decodes). */
  record Sample(String name, byte[] bytes, String error) {}

  private HostileImages() {}

  /** One of each kind, good and bad, with names in upper case, with spaces and with non-ASCII letters. */
  static List<Sample> all() {
    Random r = new Random(7);
    List<Sample> out = new ArrayList<>();
    out.add(new Sample("plain.png", png(noise(20, 18, r, false)), null));
    out.add(new Sample("plain.jpg", jpeg(noise(20, 18, r, false)), null));
    out.add(new Sample("UPPER CASE.PNG", png(noise(17, 21, r, false)), null));
    out.add(new Sample("Photo.JPEG", jpeg(noise(24, 16, r, false)), null));
    out.add(new Sample("fa\u00e7ade \u732b \u00fcber.png", png(noise(16, 16, r, false)), null));
    out.add(new Sample("grey16.png", png(grey16(new int[] {10, 90, 170, 250}, 16)), null));
    out.add(new Sample("rgba.png", png(noise(18, 18, r, true)), null));
    out.add(new Sample("palette.png", png(palette(18, 18)), null));
    out.add(new Sample("cmyk.jpg", cmykJpeg(inks(16, 16), 0), null));
    out.add(new Sample("ycck.jpg", cmykJpeg(inks(16, 16), 2), null));
    out.add(new Sample("rotated.jpg", withExif(jpeg(noise(16, 24, r, false)), 6, true), null));
    out.add(new Sample("empty.jpg", new byte[0], "empty file"));
    out.add(new Sample("text.png", "name,label\na,1\n".getBytes(), "not an image"));
    byte[] jpg = jpeg(noise(64, 64, r, false));
    out.add(new Sample("truncated.jpg", Arrays.copyOf(jpg, jpg.length * 3 / 5), "truncated"));
    byte[] png = png(noise(64, 64, r, false));
    out.add(new Sample("truncated.png", Arrays.copyOf(png, png.length / 2), "unreadable image"));
    out.add(new Sample("bomb.png", pngBomb(20000, 20000), "20000 x 20000 = 400,000,000 pixels, more than max_pixels"));
    out.add(new Sample("bomb.jpg", jpegDeclaring(jpg, 20000, 20000), "20000 x 20000"));
    return out;
  }

  /** Writes the samples into dir; returns dir. */
  static Path write(Path dir, List<Sample> samples) throws IOException {
    Files.createDirectories(dir);
    for (Sample s : samples) {
      Files.write(dir.resolve(s.name()), s.bytes());
    }
    return dir;
  }

  static BufferedImage noise(int w, int h, Random r, boolean alpha) {
    BufferedImage img = new BufferedImage(w, h, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, alpha ? r.nextInt() : r.nextInt(1 << 24));
      }
    }
    return img;
  }

  /** A 16-bit grey image, columns of the given 8-bit levels scaled to 16 bits (v * 257). */
  static BufferedImage grey16(int[] levels, int h) {
    BufferedImage img = new BufferedImage(levels.length, h, BufferedImage.TYPE_USHORT_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < levels.length; x++) {
        img.getRaster().setSample(x, y, 0, levels[x] * 257);
      }
    }
    return img;
  }

  /** The same levels as 8-bit grey. */
  static BufferedImage grey8(int[] levels, int h) {
    BufferedImage img = new BufferedImage(levels.length, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < levels.length; x++) {
        img.getRaster().setSample(x, y, 0, levels[x]);
      }
    }
    return img;
  }

  /** The four colours of {@link #palette}, in its index order. */
  static final int[] PALETTE = {0xff0000, 0x00ff00, 0x2040c0, 0xf0e0d0};

  /** A 4-colour palette image: index (x + y) % 4. */
  static BufferedImage palette(int w, int h) {
    byte[] rr = new byte[4];
    byte[] gg = new byte[4];
    byte[] bb = new byte[4];
    for (int i = 0; i < 4; i++) {
      rr[i] = (byte) (PALETTE[i] >> 16);
      gg[i] = (byte) (PALETTE[i] >> 8);
      bb[i] = (byte) PALETTE[i];
    }
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(2, 4, rr, gg,
        bb));
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, (x + y) % 4);
      }
    }
    return img;
  }

  static byte[] png(BufferedImage img) {
    return encode(img, "png");
  }

  static byte[] jpeg(BufferedImage img) {
    return encode(img, "jpg");
  }

  private static byte[] encode(BufferedImage img, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalStateException("no " + format + " writer for " + img);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Inks (C, M, Y, K in 0..255, 255 = full ink) of a 16 x 16 image: left half red, right half blue. */
  static int[][] inks(int w, int h) {
    int[][] px = new int[w * h][];
    for (int i = 0; i < px.length; i++) {
      px[i] = i % w < w / 2 ? new int[] {0, 255, 255, 0} : new int[] {255, 255, 0, 0};
    }
    return px;
  }

  /**
   * A four-component JPEG as Adobe software writes it: the components stored inverted (255 - ink), an APP14
   * "Adobe" segment with the colour transform (0: CMYK as is, 2: YCCK, i.e. YCbCr of (255 - stored C, M, Y) and
   * K as stored), quality 0.95. inks: row-major, square image.
   */
  static byte[] cmykJpeg(int[][] inks, int transform) {
    int side = (int) Math.round(Math.sqrt(inks.length));
    WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, side, side, 4, null);
    for (int i = 0; i < inks.length; i++) {
      int[] s = {255 - inks[i][0], 255 - inks[i][1], 255 - inks[i][2], 255 - inks[i][3]};
      if (transform == 2) {
        double r = 255 - s[0];
        double g = 255 - s[1];
        double b = 255 - s[2];
        s = new int[] {clamp(0.299 * r + 0.587 * g + 0.114 * b), clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128),
            clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128), s[3]};
      }
      raster.setPixel(i % side, i / side, s);
    }
    try {
      // A Raster (not a BufferedImage) goes to the JPEG writer as raw components: no colour conversion, no JFIF.
      ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.95f);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
        writer.setOutput(ios);
        writer.write(null, new IIOImage(raster, null, null), param);
      }
      writer.dispose();
      byte[] adobe = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
      return afterSoi(out.toByteArray(), adobe, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The JPEG with its JFIF APP0 segment replaced by an EXIF APP1 segment holding one TIFF tag, Orientation
   * (0x0112, SHORT) = orientation, in big-endian ("MM") or little-endian ("II") byte order: what a camera writes.
   */
  static byte[] withExif(byte[] jpeg, int orientation, boolean bigEndian) {
    ByteBuffer tiff = ByteBuffer.allocate(26).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    tiff.put((byte) (bigEndian ? 'M' : 'I')).put((byte) (bigEndian ? 'M' : 'I')).putShort((short) 42).putInt(8);
    tiff.putShort((short) 1); // one entry in IFD0
    tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
    tiff.putInt(0); // no next IFD
    byte[] exif = "Exif\0\0".getBytes();
    int len = 2 + exif.length + tiff.capacity();
    ByteBuffer seg = ByteBuffer.allocate(2 + len);
    seg.put((byte) 0xFF).put((byte) 0xE1).putShort((short) len).put(exif).put(tiff.array());
    int app0 = (jpeg[2] & 0xff) == 0xFF && (jpeg[3] & 0xff) == 0xE0 ? 2 + ((jpeg[4] & 0xff) << 8 | jpeg[5] & 0xff) : 0;
    return afterSoi(jpeg, seg.array(), app0);
  }

  /** SOI, then segment, then the JPEG from after SOI, skipping `skip` bytes there (a segment replaced). */
  private static byte[] afterSoi(byte[] jpeg, byte[] segment, int skip) {
    byte[] out = new byte[jpeg.length - skip + segment.length];
    System.arraycopy(jpeg, 0, out, 0, 2);
    System.arraycopy(segment, 0, out, 2, segment.length);
    System.arraycopy(jpeg, 2 + skip, out, 2 + segment.length, jpeg.length - 2 - skip);
    return out;
  }

  /** A JPEG whose SOF0 frame header is rewritten to declare w x h; its data stay those of the small image. */
  static byte[] jpegDeclaring(byte[] jpeg, int w, int h) {
    byte[] out = jpeg.clone();
    for (int i = 2; i + 9 < out.length; i++) {
      if ((out[i] & 0xff) == 0xFF && (out[i + 1] & 0xff) == 0xC0) {
        // FFC0, length (2), precision (1), height (2), width (2)
        out[i + 5] = (byte) (h >> 8);
        out[i + 6] = (byte) h;
        out[i + 7] = (byte) (w >> 8);
        out[i + 8] = (byte) w;
        return out;
      }
    }
    throw new IllegalStateException("no SOF0 in the JPEG");
  }

  /**
   * A PNG whose IHDR declares w x h 8-bit RGB (3 bytes a pixel decoded: 1.2 GB for 20000 x 20000), followed by an
   * IDAT of 16 zero rows and IEND: a well-formed header over a few hundred bytes, as a decompression bomb starts.
   */
  static byte[] pngBomb(int w, int h) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0)
        .put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    Deflater d = new Deflater();
    d.setInput(new byte[16 * (1 + 3 * w)]);
    d.finish();
    byte[] buf = new byte[1 << 16];
    int n = d.deflate(buf);
    chunk(out, "IDAT", Arrays.copyOf(buf, n));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    CRC32 crc = new CRC32();
    crc.update(type.getBytes());
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(type.getBytes());
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
