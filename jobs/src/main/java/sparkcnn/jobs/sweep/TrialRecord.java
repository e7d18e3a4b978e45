package sparkcnn.jobs.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a sweep knows of one trial: its configuration and model cost, its status (pending, paused between rungs,
 * stopped, finished, failed), validation figures per rung and per epoch, the test figures of a finished trial,
 * training time and images, inference latency. Written into results.json and read back by {@code sweep --resume}.
 */
public final class TrialRecord {
  public final Candidate candidate;
  public final String output;
  public String status = "pending";
  public String error;
  public double width;
  public double depth;
  public double resolution;
  public String input;
  public long params;
  public double macs;
  /** One map per finished rung: rung, epochs, validation_accuracy, validation_loss. */
  public final List<Map<String, Object>> rungs = new ArrayList<>();
  /** One map per trained epoch: epoch, validation_accuracy, validation_loss, train_loss. */
  public List<Map<String, Object>> curve = new ArrayList<>();
  public Double testAccuracy;
  public Double testLoss;
  public double seconds;
  public long trainImages;
  public String checkpoint;
  /** Inference on the driver after the sweep: latency_ms and images_per_second at batch 1 and 64. */
  public Map<String, Object> inference = new LinkedHashMap<>();
  public boolean paretoMacs;
  public boolean paretoLatency;

  public TrialRecord(Candidate candidate, String output) {
    this.candidate = candidate;
    this.output = output;
  }

  /** The validation accuracy of the last rung finished (NaN before any). */
  public double validationAccuracy() {
    return rungs.isEmpty() ? Double.NaN : ((Number) rungs.get(rungs.size() - 1).get("validation_accuracy"))
        .doubleValue();
  }

  /** The validation loss of the last rung finished (NaN before any). */
  public double validationLoss() {
    Object v = rungs.isEmpty() ? null : rungs.get(rungs.size() - 1).get("validation_loss");
    return v == null ? Double.NaN : ((Number) v).doubleValue();
  }

  /** The last rung's value of the sweep's metric (validation_accuracy or validation_loss). */
  public double metric(String metric) {
    return metric.equals("validation_loss") ? validationLoss() : validationAccuracy();
  }

  /** A metric value as the schedulers rank it, higher better: the loss negated. */
  public static double score(String metric, double value) {
    return metric.equals("validation_loss") ? -value : value;
  }

  public int lastRung() {
    return rungs.isEmpty() ? -1 : ((Number) rungs.get(rungs.size() - 1).get("rung")).intValue();
  }

  public int epochs() {
    return rungs.isEmpty() ? 0 : ((Number) rungs.get(rungs.size() - 1).get("epochs")).intValue();
  }

  /** v to the 6 significant digits results.json keeps. */
  public static double rounded(double v) {
    return Double.isFinite(v) ? new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue() : v;
  }

  /** Training compute: images trained times the model's training multiply-adds (forward + backward ~ 3x). */
  public double trainMacs() {
    return 3.0 * macs * trainImages;
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    Candidate c = candidate;
    m.put("trial", c.index());
    m.put("stage", c.stage());
    m.put("status", status);
    m.put("phi", c.phi());
    m.put("alpha", c.alpha());
    m.put("beta", c.beta());
    m.put("gamma", c.gamma());
    m.put("keys", c.keys());
    m.put("label", c.label());
    m.put("width", width);
    m.put("depth", depth);
    m.put("resolution", resolution);
    m.put("input", input);
    m.put("params", params);
    m.put("macs", macs);
    m.put("epochs", epochs());
    m.put("validation_accuracy", rungs.isEmpty() ? null : validationAccuracy());
    m.put("validation_loss", rungs.isEmpty() ? null : validationLoss());
    m.put("test_accuracy", testAccuracy);
    m.put("test_loss", testLoss);
    m.put("seconds", seconds);
    m.put("train_images", trainImages);
    m.put("train_macs", trainMacs());
    m.put("inference", inference);
    m.put("pareto_macs", paretoMacs);
    m.put("pareto_latency", paretoLatency);
    m.put("rungs", rungs);
    m.put("curve", curve);
    m.put("output", output);
    m.put("checkpoint", checkpoint);
    if (error != null) {
      m.put("error", error);
    }
    return m;
  }

  /** Restores what a previous run of the sweep recorded of this trial (sweep --resume). */
  @SuppressWarnings("unchecked")
  public void restore(Map<String, Object> m) {
    status = (String) m.get("status");
    error = (String) m.get("error");
    rungs.clear();
    ((List<Map<String, Object>>) m.get("rungs")).forEach(r -> rungs.add(new LinkedHashMap<>(r)));
    curve = new ArrayList<>((List<Map<String, Object>>) m.get("curve"));
    testAccuracy = m.get("test_accuracy") == null ? null : ((Number) m.get("test_accuracy")).doubleValue();
    testLoss = m.get("test_loss") == null ? null : ((Number) m.get("test_loss")).doubleValue();
    seconds = ((Number) m.get("seconds")).doubleValue();
    trainImages = ((Number) m.get("train_images")).longValue();
    checkpoint = (String) m.get("checkpoint");
    inference = new LinkedHashMap<>((Map<String, Object>) m.get("inference"));
  }
}
