package sparkcnn.models.zoo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import sparkcnn.models.Model;
import sparkcnn.models.ModelTooLarge;
import sparkcnn.models.layers.Conv2d;
import sparkcnn.models.layers.Sequential;

/**
 * The registry of architectures by name. Each entry is a family builder with its defaults (classes, input) and
 * its own coefficients (EfficientNet B1-B7); {@link #spec} fills in what a caller leaves out and {@link #build}
 * makes the model, failing with a message that names the model and the limit it broke.
 */
public final class Zoo {
  private Zoo() {}

  /** One registry entry. */
  public record Entry(String name, String family, int classes, int[] input, Scaling base,
      Function<Build, sparkcnn.models.Layer> builder) {}

  private static final int[] IMAGENET = {3, 224, 224};
  private static final int[] CIFAR = {3, 32, 32};
  private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

  private static void add(String name, String family, int classes, int[] input, Scaling base,
      Function<Build, sparkcnn.models.Layer> builder) {
    ENTRIES.put(name, new Entry(name, family, classes, input, base, builder));
  }

  private static void imagenet(String name, String family, Function<Build, sparkcnn.models.Layer> builder) {
    add(name, family, 1000, IMAGENET, Scaling.NONE, builder);
  }

  static {
    add("lenet5", "classic", 10, new int[] {1, 32, 32}, Scaling.NONE, Classic::lenet5);
    add("tf_convnet", "classic", 10, new int[] {1, 28, 28}, Scaling.NONE, Classic::tfConvnet);
    imagenet("alexnet", "classic", Classic::alexnet);
    imagenet("nin", "classic", Classic::nin);
    for (String v : new String[] {"11", "13", "16", "19"}) {
      int[] convs = switch (v) {
        case "11" -> Vgg.VGG11;
        case "13" -> Vgg.VGG13;
        case "16" -> Vgg.VGG16;
        default -> Vgg.VGG19;
      };
      imagenet("vgg" + v, "vgg", b -> Vgg.build(b, convs, false));
      imagenet("vgg" + v + "_bn", "vgg", b -> Vgg.build(b, convs, true));
    }
    imagenet("googlenet", "inception", GoogLeNet::build);
    ResNets.Kind basic = ResNets.Kind.BASIC;
    ResNets.Kind bottleneck = ResNets.Kind.BOTTLENECK;
    imagenet("resnet18", "resnet", b -> ResNets.imagenet(b, ResNets.R18, basic));
    imagenet("resnet34", "resnet", b -> ResNets.imagenet(b, ResNets.R34, basic));
    imagenet("resnet50", "resnet", b -> ResNets.imagenet(b, ResNets.R34, bottleneck));
    imagenet("resnet101", "resnet", b -> ResNets.imagenet(b, ResNets.R101, bottleneck));
    imagenet("resnet152", "resnet", b -> ResNets.imagenet(b, ResNets.R152, bottleneck));
    imagenet("resnext50_32x4d", "resnet",
        b -> ResNets.imagenet(b, ResNets.R34, new ResNets.Kind(true, 32, 4, false, false)));
    imagenet("wide_resnet50_2", "resnet",
        b -> ResNets.imagenet(b, ResNets.R34, new ResNets.Kind(true, 1, 128, false, false)));
    imagenet("preact_resnet18", "resnet",
        b -> ResNets.imagenet(b, ResNets.R18, new ResNets.Kind(false, 1, 64, false, true)));
    imagenet("preact_resnet50", "resnet",
        b -> ResNets.imagenet(b, ResNets.R34, new ResNets.Kind(true, 1, 64, false, true)));
    imagenet("se_resnet50", "resnet",
        b -> ResNets.imagenet(b, ResNets.R34, new ResNets.Kind(true, 1, 64, true, false)));
    for (int depth : new int[] {20, 32, 44, 56, 110}) {
      add("cifar_resnet" + depth, "resnet", 10, CIFAR, Scaling.NONE, b -> ResNets.cifar(b, (depth - 2) / 6, basic));
    }
    add("cifar_preact_resnet164", "resnet", 10, CIFAR, Scaling.NONE,
        b -> ResNets.cifar(b, (164 - 2) / 9, new ResNets.Kind(true, 1, 64, false, true)));
    imagenet("densenet121", "densenet", b -> DenseNets.imagenet(b, DenseNets.D121));
    imagenet("densenet169", "densenet", b -> DenseNets.imagenet(b, DenseNets.D169));
    imagenet("densenet201", "densenet", b -> DenseNets.imagenet(b, DenseNets.D201));
    add("cifar_densenet_bc100", "densenet", 10, CIFAR, Scaling.NONE, b -> DenseNets.cifar(b, 100, 12));
    imagenet("mobilenet_v1", "mobilenet", MobileNets::v1);
    imagenet("mobilenet_v2", "mobilenet", MobileNets::v2);
    imagenet("shufflenet_v1", "shufflenet", b -> MobileNets.shufflenetV1(b, 3));
    for (int i = 0; i < EfficientNet.PUBLISHED.length; i++) {
      EfficientNet.Coefficients c = EfficientNet.PUBLISHED[i];
      add("efficientnet_b" + i, "efficientnet", 1000, new int[] {3, c.resolution(), c.resolution()},
          new Scaling(c.width(), c.depth(), 1), b -> EfficientNet.build(b, c.dropout()));
    }
    add("unet", "unet", 2, new int[] {1, 572, 572}, Scaling.NONE, b -> UNet.build(b, false));
    add("unet_padded", "unet", 2, new int[] {1, 512, 512}, Scaling.NONE, b -> UNet.build(b, true));
    add("unet_small", "unet", 11, new int[] {1, 64, 64}, Scaling.NONE, UNet::small);
    // The two graphs of the Inception paper's cost argument (192 channels at 28x28 to 32 channels, 5x5).
    add("example_conv5x5", "example", 32, new int[] {192, 28, 28}, Scaling.NONE,
        b -> Sequential.of(new Conv2d(b.channels(), b.ch(32), 5, 1, 2, 1, 1, false)));
    add("example_bottleneck5x5", "example", 32, new int[] {192, 28, 28}, Scaling.NONE,
        b -> Sequential.of(new Conv2d(b.channels(), b.ch(16), 1, 1, 0, 1, 1, false),
            new Conv2d(b.ch(16), b.ch(32), 5, 1, 2, 1, 1, false)));
  }

  /** Every registered name, in registry order. */
  public static List<String> names() {
    return List.copyOf(ENTRIES.keySet());
  }

  public static Map<String, Entry> entries() {
    return Collections.unmodifiableMap(ENTRIES);
  }

  public static Entry entry(String name) {
    Entry e = ENTRIES.get(name);
    if (e == null) {
      throw new IllegalArgumentException("unknown model '" + name + "'; known: " + String.join(", ", names()));
    }
    return e;
  }

  /**
   * A full spec from a name and optional choices: classes (null: the entry's default), input (C, H, W) (null: the
   * entry's default), scaling (null: none). The resolution multiplier scales the input's height and width.
   */
  public static ModelSpec spec(String name, Integer classes, int[] input, Scaling scaling) {
    Entry e = entry(name);
    Scaling s = scaling == null ? Scaling.NONE : scaling;
    int[] in = input == null ? e.input() : input;
    if (in.length != 3 || in[0] <= 0 || in[1] <= 0 || in[2] <= 0) {
      throw new IllegalArgumentException(name + ": input must be three positive sizes C x H x W");
    }
    int c = classes == null ? e.classes() : classes;
    if (c <= 0) {
      throw new IllegalArgumentException(name + ": classes must be positive, got " + c);
    }
    return new ModelSpec(name, c, in[0], s.size(in[1]), s.size(in[2]), s);
  }

  public static ModelSpec spec(String name) {
    return spec(name, null, null, null);
  }

  /** Builds the network of a spec (parameters not initialized; call {@link Model#init}). */
  public static Model build(ModelSpec spec) {
    Entry e = entry(spec.name());
    Scaling scaling = e.base().times(new Scaling(spec.scaling().width(), spec.scaling().depth(), 1));
    try {
      return new Model(spec.name(), e.builder().apply(builder(spec, spec.height(), spec.width(), scaling)),
          spec.inputShape());
    } catch (ModelTooLarge ex) {
      throw ex.in(spec.name());
    } catch (IllegalArgumentException ex) {
      int min = smallestInput(e, spec, scaling);
      throw new IllegalArgumentException(spec.name() + ": input " + spec.input() + " does not fit the network"
          + (min > 0 ? "; its downsampling needs at least " + spec.channels() + "x" + min + "x" + min
          : "") + " (" + ex.getMessage() + ")", ex);
    }
  }

  /** The model a checkpoint holds, rebuilt from its spec and loaded; source names the file in errors. */
  public static Model restore(sparkcnn.models.Checkpoint.Contents c, String source) throws java.io.IOException {
    ModelSpec spec;
    try {
      spec = ModelSpec.fromMap(c.spec());
    } catch (IllegalArgumentException e) {
      throw new java.io.IOException(source + ": " + e.getMessage());
    }
    Model model;
    try {
      model = build(spec);
    } catch (ModelTooLarge e) {
      throw new java.io.IOException(source + ": " + e.getMessage());
    }
    sparkcnn.models.Checkpoint.restore(c, model, null, source);
    return model;
  }

  /** The layer tree of a spec without the model's buffers (cheap: for comparing structures). */
  static sparkcnn.models.Layer layers(ModelSpec spec) {
    Entry e = entry(spec.name());
    Scaling scaling = e.base().times(new Scaling(spec.scaling().width(), spec.scaling().depth(), 1));
    return e.builder().apply(builder(spec, spec.height(), spec.width(), scaling));
  }

  /**
   * One sample's output shape: (K) for a classifier, (K, H, W) for a network that predicts a class per pixel
   * (segmentation). Shape inference only: no parameters are allocated.
   */
  public static int[] outputShape(ModelSpec spec) {
    int[] out = layers(spec).outputShape(new int[] {1, spec.channels(), spec.height(), spec.width()});
    return java.util.Arrays.copyOfRange(out, 1, out.length);
  }

  /** Whether the network predicts a class per pixel: its output is (N, K, H, W) rather than (N, K). */
  public static boolean perPixel(ModelSpec spec) {
    return outputShape(spec).length == 3;
  }

  private static Build builder(ModelSpec spec, int h, int w, Scaling scaling) {
    return new Build(spec.channels(), h, w, spec.classes(), scaling);
  }

  /** The smallest square input the network accepts, or 0 if none up to 4096 (shape inference only). */
  private static int smallestInput(Entry e, ModelSpec spec, Scaling scaling) {
    for (int size = 1; size <= 4096; size++) {
      try {
        e.builder().apply(builder(spec, size, size, scaling)).outputShape(new int[] {1, spec.channels(), size, size});
        return size;
      } catch (IllegalArgumentException ignored) {
        // too small; try the next size
      }
    }
    return 0;
  }
}
