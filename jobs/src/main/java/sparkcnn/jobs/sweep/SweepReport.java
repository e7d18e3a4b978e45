package sparkcnn.jobs.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sparkcnn.models.Json;

/**
 * A sweep's outputs: results.json (everything), results.csv (one row per trial) and report.html, one page that
 * needs no network to view: the sortable trial table, Pareto charts of validation accuracy against multiply-adds
 * and against measured latency, every trial's validation curve, the rungs of successive halving and the chosen
 * configuration. The charts are Chart.js (MIT licence, vendored next to this class and inlined into the page).
 */
public final class SweepReport {
  private SweepReport() {}

  public static String json(Map<String, Object> report) {
    return Json.write(report) + "\n";
  }

  /** One row per trial, the nested fields flattened (keys as key=value; inference figures as columns). */
  public static String csv(List<TrialRecord> trials) {
    List<String> header = new ArrayList<>(List.of("trial", "stage", "status", "phi", "alpha", "beta", "gamma",
        "keys", "width", "depth", "resolution", "input", "params", "macs", "epochs", "validation_accuracy",
        "validation_loss", "test_accuracy", "test_loss", "seconds", "train_images", "train_macs", "latency_ms_batch1",
        "images_per_second_batch1", "latency_ms_batch64", "images_per_second_batch64", "pareto_macs",
        "pareto_latency", "checkpoint", "error"));
    StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
    for (TrialRecord t : trials) {
      Map<String, Object> m = t.toMap();
      List<String> keys = new ArrayList<>();
      t.candidate.keys().forEach((k, v) -> keys.add(k + "=" + Candidate.yaml(v)));
      m.put("keys", String.join(" ", keys));
      m.putAll(t.inference);
      List<String> cells = new ArrayList<>();
      for (String h : header) {
        Object v = m.get(h);
        cells.add(cell(v == null ? "" : String.valueOf(v)));
      }
      sb.append(String.join(",", cells)).append('\n');
    }
    return sb.toString();
  }

  private static String cell(String s) {
    return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  /** The page: the template with the chart library and the results inlined. */
  public static String html(Map<String, Object> report) {
    String page = resource("report.html");
    // Inside a <script> element only "</" could end it early: escaped, the JSON reads the same.
    String data = Json.write(report).replace("</", "<\\/");
    return page.replace("/*CHART_JS*/", resource("chart.umd.min.js")).replace("/*SWEEP_DATA*/", data);
  }

  private static String resource(String name) {
    try (InputStream in = SweepReport.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("sparkcnn/jobs/sweep/" + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** 1.23M / 4.56G style. */
  public static String human(double v) {
    return v >= 1e9 ? String.format(Locale.ROOT, "%.2fG", v / 1e9) : v >= 1e6 ? String.format(Locale.ROOT, "%.2fM",
        v / 1e6) : String.format(Locale.ROOT, "%.0fK", v / 1e3);
  }
}
