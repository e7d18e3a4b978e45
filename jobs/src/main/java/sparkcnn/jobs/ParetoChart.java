package sparkcnn.jobs;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Accuracy against multiply-adds (log scale) for a sweep's trials, the Pareto front (no other trial is both
 * cheaper and more accurate) drawn as a line, as a PNG drawn with the JDK alone.
 */
final class ParetoChart {
  /** One trial on the chart. */
  record Point(String label, double macs, double accuracy) {}

  private ParetoChart() {}

  /** The trials on the front, by increasing cost. */
  static List<Point> front(List<Point> points) {
    List<Point> sorted = new ArrayList<>(points);
    sorted.sort(Comparator.comparingDouble(Point::macs).thenComparing(Comparator.comparingDouble(Point::accuracy)
        .reversed()));
    List<Point> front = new ArrayList<>();
    double best = Double.NEGATIVE_INFINITY;
    for (Point p : sorted) {
      if (p.accuracy() > best) {
        front.add(p);
        best = p.accuracy();
      }
    }
    return front;
  }

  static byte[] png(String title, List<Point> points) throws IOException {
    int w = 900;
    int h = 560;
    int left = 90;
    int right = 40;
    int top = 50;
    int bottom = 70;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    double x0 = Math.log10(points.stream().mapToDouble(Point::macs).min().orElse(1));
    double x1 = Math.log10(points.stream().mapToDouble(Point::macs).max().orElse(10));
    if (x1 - x0 < 0.2) {
      x0 -= 0.1;
      x1 += 0.1;
    }
    double pad = (x1 - x0) * 0.08;
    x0 -= pad;
    x1 += pad;
    double y0 = points.stream().mapToDouble(Point::accuracy).min().orElse(0);
    double y1 = points.stream().mapToDouble(Point::accuracy).max().orElse(1);
    double ypad = Math.max(0.005, (y1 - y0) * 0.1);
    y0 -= ypad;
    y1 += ypad;
    int pw = w - left - right;
    int ph = h - top - bottom;
    g.setColor(new Color(235, 235, 235));
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int i = 0; i <= 5; i++) {
      int y = top + ph - i * ph / 5;
      g.setColor(new Color(230, 230, 230));
      g.drawLine(left, y, left + pw, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.3f", y0 + (y1 - y0) * i / 5), 30, y + 4);
    }
    for (int i = 0; i <= 5; i++) {
      int x = left + i * pw / 5;
      g.setColor(new Color(230, 230, 230));
      g.drawLine(x, top, x, top + ph);
      g.setColor(Color.DARK_GRAY);
      g.drawString(human(Math.pow(10, x0 + (x1 - x0) * i / 5)), x - 20, top + ph + 20);
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, pw, ph);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, left, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString("multiply-adds per image (log scale)", left + pw / 2 - 110, h - 20);
    g.rotate(-Math.PI / 2);
    g.drawString("test accuracy", -(top + ph / 2 + 40), 18);
    g.rotate(Math.PI / 2);
    List<Point> front = front(points);
    g.setColor(new Color(200, 40, 40));
    g.setStroke(new BasicStroke(2f));
    for (int i = 1; i < front.size(); i++) {
      g.drawLine(px(front.get(i - 1), x0, x1, left, pw), py(front.get(i - 1), y0, y1, top, ph),
          px(front.get(i), x0, x1, left, pw), py(front.get(i), y0, y1, top, ph));
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (Point p : points) {
      int x = px(p, x0, x1, left, pw);
      int y = py(p, y0, y1, top, ph);
      g.setColor(front.contains(p) ? new Color(200, 40, 40) : new Color(40, 80, 200));
      g.fillOval(x - 5, y - 5, 10, 10);
      g.setColor(Color.DARK_GRAY);
      g.drawString(p.label(), x + 7, y - 6);
    }
    g.setColor(new Color(200, 40, 40));
    g.drawString("red: Pareto front", left + pw - 110, top + 16);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private static int px(Point p, double x0, double x1, int left, int pw) {
    return left + (int) Math.round((Math.log10(p.macs()) - x0) / (x1 - x0) * pw);
  }

  private static int py(Point p, double y0, double y1, int top, int ph) {
    return top + ph - (int) Math.round((p.accuracy() - y0) / (y1 - y0) * ph);
  }

  static String human(double v) {
    return v >= 1e9 ? String.format(Locale.ROOT, "%.2fG", v / 1e9) : v >= 1e6 ? String.format(Locale.ROOT, "%.2fM",
        v / 1e6) : String.format(Locale.ROOT, "%.0fK", v / 1e3);
  }
}
