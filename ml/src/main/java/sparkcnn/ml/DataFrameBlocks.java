package sparkcnn.ml;

import java.io.IOException;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import sparkcnn.driver.data.BlockBuilder;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.data.Source;

/**
 * A DataFrame's (features, label) rows as the trainer's cached sample blocks, one per partition, decoded once on
 * the executors. Unreadable features are skipped and counted like unreadable files of a job's source (the same
 * tolerated share); a label that is not a class index fails the fit naming the column and the value.
 */
final class DataFrameBlocks {
  private DataFrameBlocks() {}

  /**
   * partitions: the blocks' count; the DataFrame's own partitioning is kept when it has that many (so a
   * DataFrame laid out like a job's source gives the same blocks), else rows are spread by repartition.
   */
  static JavaRDD<SampleBlock> of(Dataset<Row> df, FeaturesColumn kind, String featuresCol, String labelCol, int c,
      int h, int w, int classes, int partitions, String what) throws IOException {
    JavaRDD<Row> rows = df.select(featuresCol, labelCol).javaRDD();
    if (rows.getNumPartitions() != partitions) {
      rows = rows.repartition(partitions);
    }
    CollectionAccumulator<String> bad = df.sparkSession().sparkContext().collectionAccumulator("unreadable rows");
    JavaRDD<SampleBlock> blocks = Datasets.cache(rows.mapPartitions(it -> {
      BlockBuilder block = new BlockBuilder(c, h, w);
      while (it.hasNext()) {
        Row r = it.next();
        Object v = r.get(0);
        int label = label(r, labelCol, classes);
        try {
          block.add(kind.planes(v, c, h, w), label, kind.origin(v));
        } catch (IOException | RuntimeException e) {
          String origin = kind.origin(v);
          bad.add((origin == null ? "a row" : origin) + ": " + e.getMessage());
        }
      }
      return List.of(block.build()).iterator();
    }), what);
    long n = blocks.map(SampleBlock::size).reduce(Integer::sum);
    List<String> unreadable = bad.value();
    double allowed = new Source().maxBadFraction;
    if (unreadable.size() > allowed * (n + unreadable.size())) {
      blocks.unpersist(false);
      throw new IOException(what + ": " + unreadable.size() + " of " + (n + unreadable.size()) + " rows of column '"
          + featuresCol + "' (param featuresCol) are unreadable, more than the tolerated fraction " + allowed
          + " (first: " + unreadable.get(0) + ")");
    }
    return blocks;
  }

  private static int label(Row r, String labelCol, int classes) throws IOException {
    if (r.isNullAt(1)) {
      throw new IOException("column '" + labelCol + "' (param labelCol): a null label, expected class indices 0.."
          + (classes - 1));
    }
    double y = ((Number) r.get(1)).doubleValue();
    if (y != Math.rint(y) || y < 0 || y >= classes) {
      throw new IOException("column '" + labelCol + "' (param labelCol): label " + y + " is not a class index 0.."
          + (classes - 1) + " (param classes is " + classes + ")");
    }
    return (int) y;
  }
}
