package sparkcnn.jobs.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import sparkcnn.jobs.config.ConfigException;
import sparkcnn.jobs.config.JobFile;

/**
 * What a sweep file asks to train, expanded into candidates: scaling coefficients x every combination of the
 * grid's job keys x the random draws.
 *
 * <ul>
 *   <li>{@code search: grid}: the coefficient grid (grid.phi x the (alpha, beta, gamma) of grid.alpha x grid.beta x
 *       grid.gamma within grid.tolerance of alpha beta^2 gamma^2 = 2) and the job keys of grid.keys and grid.lr.
 *   <li>{@code search: random}: the same with random.samples draws of random.ranges, random.log_ranges and
 *       random.choices.
 *   <li>{@code search: compound}: Tan and Le's two stages. Stage 1 fixes phi = 1 and searches (alpha, beta, gamma),
 *       each >= 1, within the tolerance (the grid, or compound.samples uniform draws in the grid's ranges); stage 2
 *       scales the best stage-1 candidate with each phi of compound.phi (phi 1 is the stage-1 trial itself).
 * </ul>
 */
public final class SearchSpace {
  private final JobFile sweep;
  private final String kind;

  public SearchSpace(JobFile sweep) {
    this.sweep = sweep;
    this.kind = sweep.string("search");
    long samples = sweep.integer("random.samples");
    if (kind.equals("random") && samples == 0) {
      throw sweep.error("random.samples", 0, "at least 1 with search: random");
    }
    if (kind.equals("grid") && samples > 0) {
      throw sweep.error("search", kind, "random (or compound) when random.samples is set");
    }
    if (samples > 0 && sweep.lists("random.ranges").isEmpty() && sweep.lists("random.log_ranges").isEmpty()
        && sweep.lists("random.choices").isEmpty()) {
      throw sweep.error("random.samples", samples, "0 unless random.ranges, random.log_ranges or random.choices "
          + "name keys to draw");
    }
  }

  public boolean compound() {
    return kind.equals("compound");
  }

  public String kind() {
    return kind;
  }

  /** Every candidate of a grid or random search, or stage 1 of a compound search; indices from 0. */
  public List<Candidate> candidates() {
    List<double[]> coefficients = compound() ? stageOne() : grid();
    List<Map<String, Object>> combos = combine(gridKeys(), draws());
    List<Candidate> out = new ArrayList<>();
    for (double[] c : coefficients) {
      for (Map<String, Object> keys : combos) {
        out.add(new Candidate(out.size(), compound() ? 1 : 0, c[0], c[1], c[2], c[3], keys));
      }
    }
    return out;
  }

  /** Compound stage 2: the chosen stage-1 candidate at each phi of compound.phi but 1, indices from first. */
  public List<Candidate> stageTwo(Candidate best, int first) {
    List<Candidate> out = new ArrayList<>();
    for (Object p : sweep.list("compound.phi")) {
      double phi = (Double) p;
      if (phi != 1) {
        out.add(best.scaledTo(phi, first + out.size()));
      }
    }
    return out;
  }

  /** (phi, alpha, beta, gamma) of the grid, filtered by the constraint. */
  private List<double[]> grid() {
    List<double[]> out = new ArrayList<>();
    for (Object p : sweep.list("grid.phi")) {
      for (double[] abg : triples(false)) {
        out.add(new double[] {(Double) p, abg[0], abg[1], abg[2]});
      }
    }
    return out;
  }

  /** Stage 1 of a compound search: phi = 1 and triples from the grid or random draws, each coefficient >= 1. */
  private List<double[]> stageOne() {
    for (String k : new String[] {"alpha", "beta", "gamma"}) {
      for (Object v : sweep.list("grid." + k)) {
        if ((Double) v < 1) {
          throw sweep.error("grid." + k, sweep.list("grid." + k), "values >= 1 with search: compound (scaling up "
              + "never shrinks a dimension)");
        }
      }
    }
    long samples = sweep.integer("compound.samples");
    List<double[]> triples = samples == 0 ? triples(true) : drawnTriples((int) samples);
    List<double[]> out = new ArrayList<>();
    triples.forEach(t -> out.add(new double[] {1, t[0], t[1], t[2]}));
    return out;
  }

  private boolean fits(double a, double b, double g) {
    return Math.abs(a * b * b * g * g - 2) <= sweep.number("grid.tolerance");
  }

  private List<double[]> triples(boolean compound) {
    List<double[]> out = new ArrayList<>();
    int skipped = 0;
    for (Object a : sweep.list("grid.alpha")) {
      for (Object b : sweep.list("grid.beta")) {
        for (Object g : sweep.list("grid.gamma")) {
          if (fits((Double) a, (Double) b, (Double) g)) {
            out.add(new double[] {(Double) a, (Double) b, (Double) g});
          } else {
            skipped++;
          }
        }
      }
    }
    if (out.isEmpty()) {
      throw new ConfigException(sweep.file() + ": grid: no (alpha, beta, gamma) has alpha * beta^2 * gamma^2 within "
          + sweep.number("grid.tolerance") + " of 2 (" + skipped + " skipped); widen grid.tolerance or change the "
          + "bases" + (compound ? "" : " (or leave them out: phi 0 ignores them)"));
    }
    return out;
  }

  /** Uniform draws in [min, max] of each grid list, rounded to 3 decimals, kept when within the tolerance. */
  private List<double[]> drawnTriples(int samples) {
    SplittableRandom r = new SplittableRandom(sweep.integer("compound.seed"));
    double[][] box = new double[3][];
    String[] names = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++) {
      List<Object> l = sweep.list("grid." + names[i]);
      box[i] = new double[] {l.stream().mapToDouble(o -> (Double) o).min().orElse(1),
          l.stream().mapToDouble(o -> (Double) o).max().orElse(1)};
    }
    List<double[]> out = new ArrayList<>();
    for (int attempt = 0; attempt < 100_000 && out.size() < samples; attempt++) {
      double[] t = new double[3];
      for (int i = 0; i < 3; i++) {
        t[i] = Math.round((box[i][0] + r.nextDouble() * (box[i][1] - box[i][0])) * 1000) / 1000.0;
      }
      if (fits(t[0], t[1], t[2])) {
        out.add(t);
      }
    }
    if (out.size() < samples) {
      throw sweep.error("compound.samples", samples, "a number of draws the ranges of grid.alpha, grid.beta and "
          + "grid.gamma can give within grid.tolerance (only " + out.size() + " in 100000 attempts)");
    }
    return out;
  }

  /** Every combination of grid.keys (and grid.lr as training.lr), in the order written; one empty one if none. */
  private List<Map<String, Object>> gridKeys() {
    Map<String, List<Object>> keys = new LinkedHashMap<>();
    if (!sweep.list("grid.lr").isEmpty()) {
      keys.put("training.lr", sweep.list("grid.lr"));
    }
    sweep.lists("grid.keys").forEach((k, v) -> {
      if (v.isEmpty()) {
        throw sweep.error("grid.keys." + k, v, "at least one value");
      }
      keys.put(k, v);
    });
    List<Map<String, Object>> out = new ArrayList<>();
    out.add(new LinkedHashMap<>());
    for (Map.Entry<String, List<Object>> e : keys.entrySet()) {
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> m : out) {
        for (Object v : e.getValue()) {
          Map<String, Object> c = new LinkedHashMap<>(m);
          c.put(e.getKey(), v);
          next.add(c);
        }
      }
      out = next;
    }
    return out;
  }

  /** random.samples draws of the random keys (seeded); one empty draw without random.samples. */
  private List<Map<String, Object>> draws() {
    int samples = (int) sweep.integer("random.samples");
    List<Map<String, Object>> out = new ArrayList<>();
    if (samples == 0) {
      out.add(new LinkedHashMap<>());
      return out;
    }
    Map<String, List<Object>> ranges = sweep.lists("random.ranges");
    Map<String, List<Object>> logRanges = sweep.lists("random.log_ranges");
    Map<String, List<Object>> choices = sweep.lists("random.choices");
    for (Map.Entry<String, List<Object>> e : ranges.entrySet()) {
      range("random.ranges", e.getKey(), e.getValue(), false);
    }
    for (Map.Entry<String, List<Object>> e : logRanges.entrySet()) {
      range("random.log_ranges", e.getKey(), e.getValue(), true);
    }
    SplittableRandom r = new SplittableRandom(sweep.integer("random.seed"));
    for (int s = 0; s < samples; s++) {
      Map<String, Object> m = new LinkedHashMap<>();
      ranges.forEach((k, v) -> m.put(k, uniform(r, v, false)));
      logRanges.forEach((k, v) -> m.put(k, uniform(r, v, true)));
      choices.forEach((k, v) -> m.put(k, v.get(r.nextInt(v.size()))));
      out.add(m);
    }
    return out;
  }

  private void range(String section, String key, List<Object> v, boolean log) {
    if (v.size() != 2 || !(v.get(0) instanceof Number lo) || !(v.get(1) instanceof Number hi)
        || lo.doubleValue() > hi.doubleValue() || log && lo.doubleValue() <= 0) {
      throw sweep.error(section + "." + key, v, "[low, high] with low <= high" + (log ? ", both > 0" : ""));
    }
  }

  /** Integers when both bounds are; otherwise rounded to 4 significant digits (readable in tables and logs). */
  private static Object uniform(SplittableRandom r, List<Object> v, boolean log) {
    double lo = ((Number) v.get(0)).doubleValue();
    double hi = ((Number) v.get(1)).doubleValue();
    double u = r.nextDouble();
    double x = log ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo);
    if (v.get(0) instanceof Long && v.get(1) instanceof Long) {
      return Math.min((long) hi, Math.round(x));
    }
    return new java.math.BigDecimal(x).round(new java.math.MathContext(4)).doubleValue();
  }

  private static List<Map<String, Object>> combine(List<Map<String, Object>> a, List<Map<String, Object>> b) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> x : a) {
      for (Map<String, Object> y : b) {
        Map<String, Object> m = new LinkedHashMap<>(x);
        m.putAll(y);
        out.add(m);
      }
    }
    return out;
  }
}
