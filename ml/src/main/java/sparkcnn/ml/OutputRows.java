package sparkcnn.ml;

import java.util.Arrays;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A transformer's rows mapped partition by partition into a schema, keeping every column's metadata (class names
 * on prediction and label, attribute groups on vectors): a row encoder keeps types but drops metadata, so it is
 * put back by name, as Spark's own transformers do with Column.as(name, metadata).
 */
final class OutputRows {
  private OutputRows() {}

  static Dataset<Row> map(Dataset<?> in, StructType out, MapPartitionsFunction<Row, Row> f) {
    Dataset<Row> rows = in.toDF().mapPartitions(f, Encoders.row(out));
    Column[] columns = Arrays.stream(out.fields())
        .map(c -> rows.col(c.name()).as(c.name(), c.metadata())).toArray(Column[]::new);
    return rows.select(columns);
  }
}
