package sparkcnn.ml;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The label column: numeric class indices, with class names in its metadata when StringIndexer made it. */
final class LabelColumn {
  private LabelColumn() {}

  /** Fails naming the param and the column unless it exists and is numeric. */
  static StructField check(String who, StructType schema, String column) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(who + ": param labelCol: no column '" + column + "' (columns: "
          + String.join(", ", schema.fieldNames()) + ")");
    }
    StructField f = schema.apply(column);
    if (!(f.dataType() instanceof NumericType)) {
      throw new IllegalArgumentException(who + ": param labelCol: column '" + column + "' is "
          + f.dataType().simpleString() + ", expected numeric class indices 0..K-1 (StringIndexer makes them from "
          + "names)");
    }
    return f;
  }

  /** The class names of a nominal label column (StringIndexer's labels), or null. */
  static List<String> names(StructField f) {
    Attribute a = Attribute.fromStructField(f);
    if (a instanceof NominalAttribute n && n.values().isDefined()) {
      return List.of(n.values().get());
    }
    return null;
  }
}
