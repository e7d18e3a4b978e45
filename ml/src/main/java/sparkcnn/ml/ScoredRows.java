package sparkcnn.ml;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.score.Scorer;

/**
 * One partition of a DataFrame through the scorer, lazily: each input row is kept until the scorer's batch that
 * holds it comes back, then leaves with its prediction columns appended, so a partition never holds more than a
 * batch.
 */
final class ScoredRows {
  private ScoredRows() {}

  static Iterator<Row> of(Iterator<Row> rows, Scorer scorer, FeaturesColumn kind, int index, int c, int h, int w,
      int classes) {
    ArrayDeque<Row> pending = new ArrayDeque<>();
    Iterator<Scorer.Input> inputs = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Scorer.Input next() {
        Row r = rows.next();
        pending.add(r);
        Object v = r.get(index);
        String origin = kind.origin(v);
        try {
          byte[] px = kind.planes(v, c, h, w);
          float[] planes = new float[px.length];
          ImageDecoding.toUnit(px, 0, planes, 0, px.length);
          return new Scorer.Input(origin, null, planes, null);
        } catch (IOException | RuntimeException e) {
          return new Scorer.Input(origin, null, null, e.getMessage() == null ? e.toString() : e.getMessage());
        }
      }
    };
    Iterator<Scorer.Row> scored = scorer.score(inputs);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return scored.hasNext();
      }

      @Override
      public Row next() {
        Scorer.Row s = scored.next();
        Row r = pending.poll();
        Object[] values = new Object[r.length() + 4];
        for (int i = 0; i < r.length(); i++) {
          values[i] = r.get(i);
        }
        if (s.error() == null) {
          double[] p = new double[classes];
          double[] raw = new double[classes];
          for (int t = 0; t < s.classes().length; t++) {
            p[s.classes()[t]] = s.probabilities()[t];
          }
          for (int k = 0; k < classes; k++) {
            raw[k] = Math.log(p[k]);
          }
          values[r.length()] = (double) s.classes()[0];
          values[r.length() + 1] = Vectors.dense(p);
          values[r.length() + 2] = Vectors.dense(raw);
        } else {
          values[r.length() + 3] = s.error();
        }
        return RowFactory.create(values);
      }
    };
  }
}
