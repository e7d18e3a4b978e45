package sparkcnn.ml;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructType;
import sparkcnn.driver.data.ImageDecoding;

/**
 * What a features column holds and how one of its values becomes the network's uint8 input planes (C, H, W):
 * Spark's image struct and encoded bytes are fitted like image files (shorter side scaled, centre cropped);
 * vectors and float arrays are pixels in [0, 1] already in (C, H, W) order and the network's size, stored as
 * 8 bits like decoded images, so a model sees the same values whichever way its inputs arrive.
 */
enum FeaturesColumn {
  IMAGE, BYTES, VECTOR, FLOATS;

  /** The kind of column param names, checked against the schema; fails naming the param, column and type. */
  static FeaturesColumn of(String who, StructType schema, String param, String column) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(who + ": param " + param + ": no column '" + column + "' (columns: "
          + String.join(", ", schema.fieldNames()) + ")");
    }
    DataType t = schema.apply(column).dataType();
    if (t.sameType(ImageSchema.columnSchema())) {
      return IMAGE;
    }
    if (t instanceof BinaryType) {
      return BYTES;
    }
    if (t instanceof VectorUDT) {
      return VECTOR;
    }
    if (t instanceof ArrayType a && (a.elementType() instanceof FloatType || a.elementType() instanceof DoubleType)) {
      return FLOATS;
    }
    throw new IllegalArgumentException(who + ": param " + param + ": column '" + column + "' is " + t.simpleString()
        + ", expected Spark's image struct (the image data source), binary (encoded image bytes), a vector or an "
        + "array<float> of C*H*W pixels in [0, 1]");
  }

  /** Where value came from, for error rows: an image's origin, else null. */
  String origin(Object value) {
    return this == IMAGE && value instanceof Row r && !r.isNullAt(0) ? r.getString(0) : null;
  }

  /** The planes of one value for a network input (c, h, w); throws naming what is wrong with it. */
  byte[] planes(Object value, int c, int h, int w) throws IOException {
    if (value == null) {
      throw new IOException("no value (null)");
    }
    return switch (this) {
      case IMAGE -> ImageDecoding.fromSparkImage((Row) value, c, h, w);
      case BYTES -> ImageDecoding.decode((byte[]) value, c, h, w, ImageDecoding.DEFAULT_MAX_PIXELS);
      case VECTOR -> quantize(((Vector) value).toArray(), c, h, w);
      case FLOATS -> quantize(floats(value), c, h, w);
    };
  }

  private static double[] floats(Object value) {
    List<?> list = value instanceof scala.collection.Seq<?> s ? scala.jdk.javaapi.CollectionConverters.asJava(s)
        : Arrays.asList((Object[]) value);
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      Object o = list.get(i);
      out[i] = o == null ? Double.NaN : ((Number) o).doubleValue();
    }
    return out;
  }

  private static byte[] quantize(double[] v, int c, int h, int w) throws IOException {
    if (v.length != c * h * w) {
      throw new IOException(v.length + " values, expected " + c + "x" + h + "x" + w + " = " + c * h * w
          + " (the network's input, param inputShape)");
    }
    byte[] out = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      if (!(v[i] >= 0 && v[i] <= 1)) {
        throw new IOException("value " + i + " is " + v[i] + ", expected pixels in [0, 1]");
      }
      out[i] = (byte) Math.round(v[i] * 255);
    }
    return out;
  }
}
