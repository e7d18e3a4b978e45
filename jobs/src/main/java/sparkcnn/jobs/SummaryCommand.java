package sparkcnn.jobs;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sparkcnn.kernels.ConvAlgorithm;
import sparkcnn.kernels.ConvTuner;
import sparkcnn.kernels.Shape;
import sparkcnn.models.Json;
import sparkcnn.models.Summary;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/** {@code summary --model NAME ...}: a network's per-layer shapes, parameters and multiply-adds, from the zoo. */
final class SummaryCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn summary --model NAME [--classes N] [--input CxHxW]
                                  [--phi P | --width W --depth D --resolution R]
                                  [--algorithms [--batch B]] [--json]

      Prints every layer of a zoo network with its output shape (batch of one), parameters and multiply-adds,
      then the totals, the receptive field and the activation memory of one forward pass for a batch of one.
      Parameters count conv and linear weights and biases plus batch-norm gamma and beta; multiply-adds count
      conv and linear multiply-accumulates. No weights are allocated, so any network is quick.

      options:
        --model NAME        a registry name (bin/sparkcnn summary --list shows them all)
        --classes N         output classes (default: 1000 for ImageNet families, 10 for cifar_*, lenet5 and
                            tf_convnet, 2 for unet)
        --input CxHxW       input channels and size (default: the network's own, e.g. 3x224x224)
        --phi P             compound scaling: width 1.1^P, depth 1.2^P, resolution 1.15^P
        --width W --depth D --resolution R
                            explicit multipliers (each defaults to 1)
        --algorithms        also time every convolution algorithm for each conv layer's three passes on this
                            machine (as -Dsparkcnn.tune=true does at training time) and show the fastest:
                            implicit-gemm, im2col-gemm, pointwise-batched, winograd, winograd-4x4,
                            depthwise-planes, depthwise-lanes, depthwise-shifts, depthwise-matrix, depthwise-rows,
                            depthwise-taps or fft (takes seconds to minutes: every candidate runs on the
                            layer's real shape)
        --batch B           the batch the algorithms are timed at (default 1)
        --json              one JSON object: model, input, classes, params, inference_params, macs,
                            receptive_field, activation_bytes, layers [{name, layer, output, params, macs,
                            [algorithms {forward, backward_data, backward_weights}]}]
        --list              print the registry names and exit
      """;

  @Override
  public String summary() {
    return "per-layer shapes, parameters and multiply-adds of a zoo network (--json)";
  }

  @Override
  public int run(Args args, PrintStream out) {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP);
      return 0;
    }
    if (args.flag("--list")) {
      args.done("--list");
      Zoo.entries().values().forEach(e -> out.printf(Locale.ROOT, "%-24s %-12s %d classes, input %s%n", e.name(),
          e.family(), e.classes(), e.input()[0] + "x" + e.input()[1] + "x" + e.input()[2]));
      return 0;
    }
    boolean json = args.flag("--json");
    boolean algorithms = args.flag("--algorithms");
    boolean batchGiven = args.has("--batch");
    int batch = args.positiveInt("--batch", 1);
    ModelSpec spec = modelSpec(args, "sparkcnn summary");
    args.done("--model, --classes, --input, --phi, --width, --depth, --resolution, --algorithms, --batch, --json, "
        + "--list, --help");
    if (batchGiven && !algorithms) {
      throw new UsageException("sparkcnn summary: --batch goes with --algorithms (the batch they are timed at)");
    }
    Summary s = Summary.of(Zoo.build(spec));
    Map<Summary.Row, List<ConvAlgorithm>> chosen = algorithms ? tune(s, batch) : Map.of();
    out.print(json ? Json.write(toJson(spec, s, chosen)) + "\n" : table(spec, s, chosen));
    return 0;
  }

  /** Each conv layer's fastest algorithm per pass, timed here (progress on stderr: big networks take a while). */
  private static Map<Summary.Row, List<ConvAlgorithm>> tune(Summary s, int batch) {
    Map<Summary.Row, List<ConvAlgorithm>> chosen = new java.util.IdentityHashMap<>();
    long convs = s.rows().stream().filter(r -> r.conv() != null).count();
    int done = 0;
    for (Summary.Row r : s.rows()) {
      if (r.conv() == null) {
        continue;
      }
      System.err.printf(Locale.ROOT, "summary: timing the algorithms of conv layer %d/%d (%s) ...%n", ++done, convs,
          r.name());
      List<ConvAlgorithm> perPass = new ArrayList<>();
      for (ConvAlgorithm.Pass pass : ConvAlgorithm.Pass.values()) {
        perPass.add(ConvTuner.tune(r.conv().withBatch(batch), pass).chosen());
      }
      chosen.put(r, perPass);
    }
    return chosen;
  }

  /** The model options shared by the commands that name a zoo network. */
  static ModelSpec modelSpec(Args args, String command) {
    String name = args.option("--model");
    if (name == null) {
      throw new UsageException(command + ": --model NAME is required (bin/sparkcnn summary --list shows the names)");
    }
    String classes = args.option("--classes");
    String input = args.option("--input");
    Double phi = args.number("--phi");
    Double width = args.number("--width");
    Double depth = args.number("--depth");
    Double resolution = args.number("--resolution");
    if (phi != null && (width != null || depth != null || resolution != null)) {
      throw new UsageException(command + ": give either --phi or --width/--depth/--resolution, not both");
    }
    Scaling scaling = phi != null ? Scaling.phi(phi)
        : new Scaling(width == null ? 1 : width, depth == null ? 1 : depth, resolution == null ? 1 : resolution);
    Integer n = null;
    if (classes != null) {
      try {
        n = Integer.parseInt(classes);
      } catch (NumberFormatException e) {
        throw new UsageException(command + ": --classes: expected a positive integer, got '" + classes + "'");
      }
    }
    return Zoo.spec(name, n, input == null ? null : ModelSpec.parseInput(input, "--input"), scaling);
  }

  static Map<String, Object> toJson(ModelSpec spec, Summary s, Map<Summary.Row, List<ConvAlgorithm>> chosen) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", spec.name());
    m.put("input", spec.input());
    m.put("classes", spec.classes());
    Map<String, Object> scaling = new LinkedHashMap<>();
    scaling.put("width", spec.scaling().width());
    scaling.put("depth", spec.scaling().depth());
    scaling.put("resolution", spec.scaling().resolution());
    m.put("scaling", scaling);
    m.put("params", s.params());
    m.put("inference_params", s.inferenceParams());
    m.put("macs", s.macs());
    m.put("receptive_field", s.receptiveField());
    m.put("activation_bytes", s.activationBytes());
    List<Object> layers = new ArrayList<>();
    for (Summary.Row r : s.rows()) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("name", r.name());
      l.put("layer", r.layer());
      l.put("output", Shape.show(r.output()));
      l.put("params", r.params());
      l.put("macs", r.macs());
      List<ConvAlgorithm> a = chosen.get(r);
      if (a != null) {
        Map<String, Object> passes = new LinkedHashMap<>();
        passes.put("forward", a.get(0).label());
        passes.put("backward_data", a.get(1).label());
        passes.put("backward_weights", a.get(2).label());
        l.put("algorithms", passes);
      }
      layers.add(l);
    }
    m.put("layers", layers);
    return m;
  }

  static String table(ModelSpec spec, Summary s, Map<Summary.Row, List<ConvAlgorithm>> chosen) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%s  input %s  classes %d%s%n%n", spec.name(), spec.input(), spec.classes(),
        spec.scaling().isNone() ? "" : String.format(Locale.ROOT, "  width %.3g depth %.3g resolution %.3g",
            spec.scaling().width(), spec.scaling().depth(), spec.scaling().resolution())));
    sb.append(String.format(Locale.ROOT, "%4s  %-10s %-46s %-20s %14s %18s%s%n", "#", "name", "layer", "output",
        "params", "mult-adds", chosen.isEmpty() ? "" : "  algorithm: forward / backward data / backward weights"));
    int i = 0;
    for (Summary.Row r : s.rows()) {
      List<ConvAlgorithm> a = chosen.get(r);
      sb.append(String.format(Locale.ROOT, "%4d  %-10s %-46s %-20s %,14d %,18d%s%n", ++i, r.name(), r.layer(),
          Shape.show(r.output()), r.params(), r.macs(), a == null ? "" : "  " + a.get(0).label() + " / "
          + a.get(1).label() + " / " + a.get(2).label()));
    }
    sb.append(String.format(Locale.ROOT, "%nparameters        %,d%s%n", s.params(), s.inferenceParams() == s.params()
        ? "" : String.format(Locale.ROOT, " (%,d at inference, without the side outputs)", s.inferenceParams())));
    sb.append(String.format(Locale.ROOT, "multiply-adds     %,d%n", s.macs()));
    sb.append(String.format(Locale.ROOT, "receptive field   %d pixels%n", s.receptiveField()));
    sb.append(String.format(Locale.ROOT, "activations       %.1f MB for a batch of one%n", s.activationBytes() / 1e6));
    return sb.toString();
  }
}
