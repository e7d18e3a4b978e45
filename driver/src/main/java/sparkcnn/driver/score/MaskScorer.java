package sparkcnn.driver.score;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.GreyPng;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;
import sparkcnn.models.SoftmaxCrossEntropy;

/**
 * Scores images with a segmentation model (per-pixel output), streaming batch by batch like {@link Scorer}: each
 * image is fitted to the model's input (as in training), every ensemble member's per-pixel probabilities are
 * averaged, and the arg-max mask is written as an 8-bit grey PNG of class indices under OUTPUT/masks/ (and with
 * overlays a coloured {@link Overlay} under OUTPUT/overlays/). One row per image: the paths written, the pixel
 * count per class, the mean confidence (mean over pixels of the winning probability), or the error.
 */
public final class MaskScorer implements Serializable {
  /** One output row; error set (and the rest null) for an image that could not be scored. */
  public record Row(String path, String maskPath, String overlayPath, long[] histogram, float meanConfidence,
      String error) implements Serializable {}

  private final ScoringModels models;
  /** The largest image decoded (see ImageDecoding.read). */
  private final long maxPixels;
  private final int batch;
  private final String output;
  private final boolean overlays;

  /** output: the scoring job's output folder (masks/ and overlays/ go under it; any Hadoop path). */
  public MaskScorer(ScoringModels models, int batch, String output, boolean overlays, long maxPixels) {
    this.models = models;
    this.maxPixels = maxPixels;
    this.batch = batch;
    this.output = output;
    this.overlays = overlays;
  }

  /**
   * Rows for inputs, computed lazily batch by batch. Each input's name (its file path relative to the scored
   * folder, or a table row's id) becomes the file name of its mask, with the extension .png.
   */
  public Iterator<Row> score(Iterator<Named> inputs) {
    Configuration conf = new Configuration();
    return Batched.lazily(inputs, batch, chunk -> scoreBatch(chunk, conf));
  }

  /** An input with the name its outputs get. */
  public record Named(Scorer.Input input, String name) implements Serializable {}

  List<Row> scoreBatch(List<Named> inputs, Configuration conf) {
    var spec = models.first();
    int c = spec.channels();
    int h = spec.height();
    int w = spec.width();
    int per = c * h * w;
    int plane = h * w;
    int k = spec.classes();
    List<Row> rows = new ArrayList<>(inputs.size());
    List<Integer> ok = new ArrayList<>();
    List<byte[]> planes = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      Scorer.Input in = inputs.get(i).input();
      try {
        if (in.error() != null) {
          throw new IOException(in.error());
        }
        planes.add(ImageDecoding.decode(in.bytes(), c, h, w, maxPixels));
        ok.add(i);
        rows.add(null);
      } catch (IOException | RuntimeException e) {
        rows.add(error(in.path(), e));
      }
    }
    if (ok.isEmpty()) {
      return rows;
    }
    int n = ok.size();
    float[] mean = new float[n * plane * k];
    Model[] ms = models.acquire();
    try {
      SoftmaxCrossEntropy softmax = new SoftmaxCrossEntropy(0f);
      int[] dummy = new int[n * plane];
      Tensor x = Tensor.zeros(n, c, h, w);
      for (int mi = 0; mi < ms.length; mi++) {
        for (int s = 0; s < n; s++) {
          ImageDecoding.toUnit(planes.get(s), 0, x.data, s * per, per);
        }
        var norm = models.members().get(mi).normalization();
        if (norm != null) {
          for (int s = 0; s < n; s++) {
            norm.apply(x.data, s * per, c, plane);
          }
        }
        softmax.forward(ms[mi].forward(x, false), dummy);
        Tensor p = softmax.probabilities(); // (n * H * W, K), pixels in (n, y, x) order
        float weight = 1f / ms.length;
        for (int r = 0; r < n * plane * k; r++) {
          mean[r] += weight * p.data[p.offset + r];
        }
      }
    } finally {
      models.release(ms);
    }
    for (int o = 0; o < n; o++) {
      Named named = inputs.get(ok.get(o));
      byte[] mask = new byte[plane];
      long[] histogram = new long[k];
      double confidence = 0;
      for (int p = 0; p < plane; p++) {
        int row = (o * plane + p) * k;
        int best = 0;
        for (int j = 1; j < k; j++) {
          if (mean[row + j] > mean[row + best]) {
            best = j;
          }
        }
        mask[p] = (byte) best;
        histogram[best]++;
        confidence += mean[row + best];
      }
      String file = maskFile(named.name());
      String maskPath = output + "/masks/" + file;
      String overlayPath = overlays ? output + "/overlays/" + file : null;
      try {
        HadoopFiles.write(maskPath, conf, GreyPng.encode(mask, 0, h, w));
        if (overlays) {
          HadoopFiles.write(overlayPath, conf, GreyPng.encode(Overlay.blend(planes.get(o), c, h, w, mask)));
        }
        rows.set(ok.get(o), new Row(named.input().path(), maskPath, overlayPath, histogram,
            (float) (confidence / plane), null));
      } catch (IOException | RuntimeException e) {
        rows.set(ok.get(o), error(named.input().path(), e));
      }
    }
    return rows;
  }

  private static Row error(String path, Exception e) {
    return new Row(path, null, null, null, Float.NaN, e.getMessage() == null ? e.toString() : e.getMessage());
  }

  /**
   * The mask's file name for an input's name: a PNG's own name, any other name with ".png" appended (so a.jpg and
   * a.png do not collide), sub-folders kept, and nothing that could leave the output folder ("..", a leading "/").
   */
  static String maskFile(String name) {
    StringBuilder out = new StringBuilder();
    for (String part : name.replace('\\', '/').split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        out.append(out.length() > 0 ? "/" : "").append(part.equals("..") ? "_" : part);
      }
    }
    String file = out.length() == 0 ? "_" : out.toString();
    return file.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? file : file + ".png";
  }
}
