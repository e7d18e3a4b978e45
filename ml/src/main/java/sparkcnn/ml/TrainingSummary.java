package sparkcnn.ml;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import sparkcnn.models.Json;

/**
 * What fitting a {@link CnnClassificationModel} did, per epoch: the training loss and accuracy (means over the
 * epoch's steps, as the trainer measured them on augmented batches) and, with a validation fraction, the loss
 * and accuracy on the held-out rows after the epoch. Read from the run's metrics.jsonl (the same records bin/sparkcnn train
 * writes) with the project's Json. NaN where there was no validation set.
 */
public final class TrainingSummary implements Serializable {
  private final double[] loss;
  private final double[] accuracy;
  private final double[] validationLoss;
  private final double[] validationAccuracy;
  private final long steps;
  private final double seconds;

  TrainingSummary(double[] loss, double[] accuracy, double[] validationLoss, double[] validationAccuracy, long steps,
      double seconds) {
    this.loss = loss;
    this.accuracy = accuracy;
    this.validationLoss = validationLoss;
    this.validationAccuracy = validationAccuracy;
    this.steps = steps;
    this.seconds = seconds;
  }

  /**
   * From metrics.jsonl text: per epoch, the "epoch" record when there is one (it carries the validation figures),
   * else the epoch's last "step" record (logged at every epoch end).
   */
  static TrainingSummary parse(String jsonl, long steps, double seconds) {
    List<JsonNode> perEpoch = new ArrayList<>();
    for (String line : jsonl.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = Json.tree(line);
      String kind = n.path("kind").asText();
      if (!kind.equals("step") && !kind.equals("epoch")) {
        continue;
      }
      int epoch = n.path("epoch").asInt();
      while (perEpoch.size() < epoch) {
        perEpoch.add(null);
      }
      JsonNode had = perEpoch.get(epoch - 1);
      if (had == null || !had.path("kind").asText().equals("epoch")) {
        perEpoch.set(epoch - 1, n);
      }
    }
    int e = perEpoch.size();
    double[] loss = new double[e];
    double[] acc = new double[e];
    double[] vloss = new double[e];
    double[] vacc = new double[e];
    for (int i = 0; i < e; i++) {
      JsonNode n = perEpoch.get(i);
      loss[i] = number(n, "train_loss");
      acc[i] = number(n, "train_accuracy");
      vloss[i] = number(n, "validation_loss");
      vacc[i] = number(n, "validation_accuracy");
    }
    return new TrainingSummary(loss, acc, vloss, vacc, steps, seconds);
  }

  private static double number(JsonNode n, String key) {
    return n == null || !n.path(key).isNumber() ? Double.NaN : n.path(key).asDouble();
  }

  /** Epochs trained. */
  public int epochs() {
    return loss.length;
  }

  public double[] lossHistory() {
    return loss.clone();
  }

  public double[] accuracyHistory() {
    return accuracy.clone();
  }

  public double[] validationLossHistory() {
    return validationLoss.clone();
  }

  public double[] validationAccuracyHistory() {
    return validationAccuracy.clone();
  }

  /** The last epoch's validation accuracy (NaN without a validation fraction). */
  public double validationAccuracy() {
    return validationAccuracy.length == 0 ? Double.NaN : validationAccuracy[validationAccuracy.length - 1];
  }

  public double validationLoss() {
    return validationLoss.length == 0 ? Double.NaN : validationLoss[validationLoss.length - 1];
  }

  /** Optimizer steps taken. */
  public long totalIterations() {
    return steps;
  }

  /** Wall-clock seconds of training (without loading the data). */
  public double seconds() {
    return seconds;
  }
}
