package sparkcnn.jobs.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sparkcnn.models.zoo.Scaling;

/**
 * One configuration a sweep trains: compound-scaling coefficients (phi, alpha, beta, gamma: depth alpha^phi, width
 * beta^phi, resolution gamma^phi on top of the base job's own multipliers) and job keys set to values. stage: 1 or
 * 2 for the two stages of a compound search, 0 otherwise.
 */
public record Candidate(int index, int stage, double phi, double alpha, double beta, double gamma,
    Map<String, Object> keys) {
  public Candidate {
    keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
  }

  public Scaling scaling() {
    return Scaling.phi(phi, alpha, beta, gamma);
  }

  /** The same configuration at another phi, as trial index (compound stage 2). */
  public Candidate scaledTo(double newPhi, int newIndex) {
    return new Candidate(newIndex, 2, newPhi, alpha, beta, gamma, keys);
  }

  /** alpha * beta^2 * gamma^2: about 2 for a compound search's candidates (each phi step doubles the cost). */
  public double flopsFactor() {
    return alpha * beta * beta * gamma * gamma;
  }

  /** The job keys as --set assignments (values written so the job file's parser reads them back). */
  public List<String> assignments() {
    List<String> out = new ArrayList<>();
    keys.forEach((k, v) -> out.add(k + "=" + yaml(v)));
    return out;
  }

  /** A short description for logs and the report. */
  public String label() {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "phi %s a %.3f b %.3f g %.3f", num(phi), alpha,
        beta, gamma));
    keys.forEach((k, v) -> sb.append(' ').append(k).append('=').append(yaml(v)));
    return sb.toString();
  }

  static String yaml(Object v) {
    if (v instanceof List<?> l) {
      List<String> items = new ArrayList<>();
      l.forEach(o -> items.add(o instanceof String s ? "\"" + s + "\"" : yaml(o)));
      return "[" + String.join(", ", items) + "]";
    }
    return v instanceof Double d ? num(d) : String.valueOf(v);
  }

  private static String num(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
