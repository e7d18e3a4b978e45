package sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Layer;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.Zoo;

/**
 * The featurizer's vectors are the network's layer output computed directly (the root sequence's children run
 * one by one in evaluation mode on the normalized pixels), and a LogisticRegression learns the task from them.
 */
class ImageFeaturizerTest {
  @TempDir
  Path tmp;

  @Test
  void vectorsEqualTheLayerOutputAndFeedLogisticRegression() throws Exception {
    Model net = Zoo.build(TinyCheckpoint.SPEC).init(21);
    Normalization norm = new Normalization(new float[] {0.3f}, new float[] {0.2f});
    Map<String, String> spec = new LinkedHashMap<>(TinyCheckpoint.SPEC.toMap());
    norm.putInto(spec);
    Path ckpt = tmp.resolve("net.ckpt");
    try (OutputStream out = Files.newOutputStream(ckpt)) {
      Checkpoint.write(out, spec, 0, 0, net, null);
    }
    SampleBlock data = MlSpark.samples(90, 12, 4);
    Dataset<Row> df = MlSpark.vectors(data).withColumnRenamed("features", "pixels");
    ImageFeaturizer featurizer = new ImageFeaturizer().setModelPath(ckpt.toString()).setLayer("2")
        .setInputCol("pixels").setOutputCol("features").setBatchSize(7);
    Dataset<Row> features = featurizer.transform(df).cache();
    List<Row> rows = features.select("features", "featuresError").collectAsList();

    // tf_convnet: [convRelu, pool, convRelu, pool, flatten, linear, ...]; layer "2" cuts before the linear.
    List<Layer> layers = net.root().children();
    int per = data.sampleBytes();
    for (int i = 0; i < data.size(); i++) {
      Tensor x = Tensor.zeros(1, 1, 12, 12);
      sparkcnn.driver.data.ImageDecoding.toUnit(data.pixels, i * per, x.data, 0, per);
      norm.apply(x.data, 0, 1, per);
      for (int l = 0; l <= 4; l++) {
        x = layers.get(l).forward(x, false);
      }
      Vector v = rows.get(i).getAs(0);
      assertEquals(x.size(), v.size());
      for (int k = 0; k < v.size(); k++) {
        assertEquals(x.data[x.offset + k], v.apply(k), 1e-6, "sample " + i + " feature " + k);
      }
      assertNull(rows.get(i).get(1));
    }

    Dataset<Row> labelled = new StringIndexer().setInputCol("name").setOutputCol("label").fit(features)
        .transform(features);
    var lr = new LogisticRegression().setMaxIter(100).fit(labelled);
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(lr.transform(labelled));
    assertTrue(accuracy > 0.9, "logistic regression on the frozen features: " + accuracy);
  }

  @Test
  void layerNamesAreChecked() throws Exception {
    MlSpark.get();
    Path ckpt = TinyCheckpoint.write(tmp);
    Dataset<Row> df = MlSpark.vectors(MlSpark.samples(3, 12, 1));
    String msg = assertThrows(IllegalArgumentException.class, () -> new ImageFeaturizer().setInputCol("features")
        .setOutputCol("f").setModelPath(ckpt.toString()).setLayer("7").transform(df)).getMessage();
    assertTrue(msg.startsWith("ImageFeaturizer: param layer: '7' names no layer with parameters of tf_convnet "
        + "(layers as bin/sparkcnn summary lists them: 0.0, 2.0, 5, 8"), msg);
    msg = assertThrows(IllegalArgumentException.class, () -> new ImageFeaturizer().setInputCol("features")
        .setOutputCol("f").setModelPath(ckpt.toString()).setLayer("8").transform(df)).getMessage();
    assertTrue(msg.contains("'8' is tf_convnet's last layer"), msg);
    ImageFeaturizer saved = new ImageFeaturizer().setArchitecture("lenet5").setLayer("3").setSeed(5);
    saved.write().save(tmp.resolve("featurizer").toString());
    ImageFeaturizer back = ImageFeaturizer.load(tmp.resolve("featurizer").toString());
    assertEquals("lenet5", back.getOrDefault(back.architecture()));
    assertEquals(5L, back.getOrDefault(back.seed()));
  }
}
