package sparkcnn.jobs.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.Source;
import sparkcnn.driver.data.augment.Augmentations;
import sparkcnn.driver.train.TrainConfig;
import sparkcnn.models.ClassNames;
import sparkcnn.models.Model;
import sparkcnn.models.ModelTooLarge;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Transfer;
import sparkcnn.models.zoo.Zoo;

/**
 * The schema of training job files (conf/jobs/*.yaml) and their translation into a {@link TrainConfig}, data
 * sources and run options. Everything is checked here, before Spark starts: architecture names, augmentations,
 * value ranges, and whether the input size survives the network's downsampling.
 */
public final class TrainJob {
  public final JobFile job;
  public final ModelSpec model;
  public final TrainConfig config;
  /** The training samples; null for a job without sources ({@link #withoutSources}). */
  public final Source train;
  public final Source test;
  public final boolean computeNormalization;
  /** data.class_names, or null when the job gives none (then: the folder tree's, else 0..K-1). */
  public final List<String> classNames;
  /** The model predicts a class per pixel: samples carry masks. */
  public final boolean segmentation;

  static Map<String, Object> sourceSchema() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("format", Field.choice("idx", "where samples come from: " + String.join(", ", Source.FORMATS)
        + " (with masks, for segmentation: segfolder, parquet with mask_column, generated)", Source.FORMATS));
    s.put("path", Field.string(null, "IDX image file, image folder tree or table (any Hadoop path)"));
    s.put("labels", Field.string(null, "IDX label file (format idx)"));
    s.put("image_column", Field.string("image", "encoded-image column (format parquet)"));
    s.put("label_column", Field.string("label", "integer label column (format parquet)"));
    s.put("mask_column", Field.string("mask", "encoded-mask column: PNG of class indices (format parquet, "
        + "segmentation)"));
    s.put("samples", Field.integer(1000L, 1, "sample count (format generated)"));
    s.put("seed", Field.integer(1L, 0, "seed (format generated; and which samples fraction keeps)"));
    s.put("max_bad_fraction", Field.number(0.01, 0, 1, "share of unreadable images tolerated"));
    s.put("max_pixels", Field.integer(ImageDecoding.DEFAULT_MAX_PIXELS, 1, "largest width x height decoded (Pillow's "
        + "limit by default); a larger image is unreadable, refused from its header before decoding"));
    s.put("select_classes", Field.list(List.of(), "keep only these labels, renumbered 0, 1, ... in the order "
        + "listed (e.g. [5, 6, 7, 8, 9]); empty: all", "non-negative integers", v -> label(v)));
    s.put("fraction", Field.number(1.0, 1e-6, 1, "keep this share of the samples, chosen per sample from its "
        + "content and seed (the same samples on any partitioning)"));
    return s;
  }

  public static Schema schema() {
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("architecture", Field.choice(null, "zoo registry name", Zoo.names()));
    model.put("classes", Field.integer(null, 1, "output classes (default: the architecture's)"));
    model.put("input", Field.string(null, "input CxHxW (default: the architecture's)"));
    model.put("phi", Field.number(null, -10, 10, "compound scaling coefficient"));
    model.put("width", Field.number(null, 0.01, 100, "width multiplier"));
    model.put("depth", Field.number(null, 0.01, 100, "depth multiplier"));
    model.put("resolution", Field.number(null, 0.01, 100, "resolution multiplier"));
    Map<String, Object> normalization = new LinkedHashMap<>();
    normalization.put("mean", Field.list(null, "per-channel mean of pixels in [0, 1] (default: computed)",
        "numbers", v -> number(v)));
    normalization.put("std", Field.list(null, "per-channel std (default: computed)", "numbers", v -> number(v)));
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("train", sourceSchema());
    data.put("test", sourceSchema());
    Map<String, Object> validation = new LinkedHashMap<>();
    validation.put("fraction", Field.number(0.0, 0, 0.9, "hold out this share of the training samples, stratified "
        + "by class, as a validation set evaluated every epoch (the test set then only at the end); 0: none"));
    validation.put("seed", Field.integer(1L, 0, "which samples are held out (the same for every run and trial "
        + "with this seed)"));
    data.put("validation", validation);
    data.put("normalization", normalization);
    data.put("class_names", Field.list(null, "the classes' names in label order, one per model.classes (default: the "
        + "class folders of a folder tree, else 0..K-1); stored in checkpoints", "names", v -> className(v)));
    data.put("augmentations", Field.list(List.of(), "per-step augmentations: " + Augmentations.ALLOWED,
        "augmentations", v -> {
          Augmentations.parse(String.valueOf(v));
          return String.valueOf(v);
        }));
    data.put("partitions", Field.integer(0L, 0, "partitions of the training set (0: Spark's default parallelism)"));
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("epochs", Field.integer(10L, 1, "passes over the training set"));
    training.put("max_steps", Field.integer(0L, 0, "stop after this many steps (0: run every epoch); a budget"));
    training.put("batch", Field.integer(128L, 1, "global batch per step"));
    training.put("micro_batch", Field.integer(64L, 0, "samples per forward / batch-norm batch (0: the shard)"));
    training.put("optimizer", Field.choice("sgd", "optimizer", List.of("sgd", "adam", "adamw", "rmsprop")));
    training.put("lr", Field.number(0.1, 0, 10, "base learning rate"));
    training.put("momentum", Field.number(0.9, 0, 0.999, "momentum (sgd, rmsprop)"));
    training.put("nesterov", Field.bool(false, "Nesterov momentum (sgd)"));
    training.put("weight_decay", Field.number(0.0, 0, 1, "weight decay (L2 for sgd, decoupled for adamw)"));
    training.put("schedule", Field.choice("cosine", "learning-rate schedule",
        List.of("constant", "step", "multistep", "cosine")));
    training.put("warmup_steps", Field.integer(0L, 0, "linear warm-up steps"));
    training.put("step_every", Field.integer(1000L, 1, "steps between decays (schedule step)"));
    training.put("milestones", Field.list(List.of(), "decay points (schedule multistep): steps, or fractions < 1 "
        + "of the run", "numbers", v -> number(v)));
    training.put("gamma", Field.number(0.1, 0, 1, "decay factor (step, multistep)"));
    training.put("min_lr", Field.number(0.0, 0, 10, "final rate (cosine)"));
    training.put("label_smoothing", Field.number(0.0, 0, 0.99, "label smoothing"));
    training.put("ignore_index", Field.integer(null, 0, "segmentation: the mask value (0..255) whose pixels count "
        + "for nothing (no loss, no gradient, not in the metrics); also fills mask pixels augmentations bring in "
        + "from outside the image"));
    training.put("class_weights", Field.list(List.of(), "segmentation: loss weight per class (model.classes "
        + "numbers >= 0; a weighted mean like PyTorch's CrossEntropyLoss weight=)", "numbers", v -> number(v)));
    training.put("clip_norm", Field.number(0.0, 0, 1e9, "global gradient-norm clip (0: none)"));
    training.put("skip_nonfinite", Field.integer(0L, 0, "steps whose loss or gradient is NaN or infinite that are "
        + "skipped (no update; counted in report.json) before the next one stops the run (0: the first stops it)"));
    training.put("sync", Field.choice(null, "how replicas agree each step: collective (ring all-reduce between "
        + "the tasks of long barrier stages, sharded optimizer; the default), broadcast (a Spark job per step "
        + "through the driver; the reference), local (local SGD: average every sync_every steps; the default "
        + "when sync_every > 1)", List.of("collective", "broadcast", "local")));
    training.put("sync_every", Field.integer(1L, 1, "local SGD: average every K local steps"));
    training.put("ranks", Field.integer(0L, 0, "collective: ranks (barrier tasks) per session (0: one per task "
        + "slot, at most one per data partition)"));
    training.put("session_retries", Field.integer(2L, 0, "collective: reruns of a failed session (from its "
        + "starting snapshot) before the run fails"));
    training.put("peer_timeout_seconds", Field.number(300.0, 0.1, 86400, "collective: how long a rank waits for "
        + "a peer (connecting, and between bytes); must exceed one step's compute"));
    training.put("bucket_mb", Field.number(4.0, 0.001, 1024, "collective: all-reduce bucket size in MB (buckets "
        + "start reducing as soon as backward has filled them)"));
    training.put("seed", Field.integer(1L, 0, "seed of initialization, sampling and augmentation"));
    training.put("freeze", Field.list(List.of(), "layers whose parameters do not train, a leading run of the "
        + "network (a backbone): layer names or prefixes as summary lists them (\"0\", \"3.1\"), or stem, head, "
        + "all_but_head; frozen layers run forward only, in evaluation mode", "layer names", v -> String.valueOf(v)));
    training.put("lr_multipliers", Field.map("learning-rate multipliers by layer name or prefix (as for freeze), "
        + "e.g. {\"0\": 0.1, head: 10}; later entries override earlier ones; 0 stops a layer (its gradient is still "
        + "computed: freeze a leading run instead where you can)"));
    training.put("features", Field.choice("full", "full: the frozen backbone runs every step; precompute: it runs "
        + "once over the training set and only the layers after it train on its cached outputs",
        List.of("full", "precompute")));
    Map<String, Object> checkpoint = new LinkedHashMap<>();
    checkpoint.put("every_steps", Field.integer(0L, 0, "steps between checkpoints (0: at the end only)"));
    checkpoint.put("keep", Field.integer(3L, 1, "checkpoints kept"));
    Map<String, Object> init = new LinkedHashMap<>();
    init.put("checkpoint", Field.string(null, "start from this checkpoint (any run of the same architecture "
        + "family): layers matched by name and shape; a head of another class count starts fresh"));
    Map<String, Object> features = new LinkedHashMap<>();
    features.put("path", Field.string(null, "training.features: precompute: cache the features here (any Hadoop "
        + "path) and reuse them in later runs with the same backbone and data"));
    Map<String, Object> spark = new LinkedHashMap<>();
    spark.put("master", Field.string("local[*]", "master for local runs (ignored under spark-submit)"));
    spark.put("conf", Field.map("extra Spark settings"));
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("name", Field.string(null, "run name (default: the file name)"));
    top.put("model", model);
    top.put("data", data);
    top.put("training", training);
    top.put("checkpoint", checkpoint);
    top.put("init", init);
    top.put("features", features);
    top.put("output", Field.string(null, "output folder (default: runs/NAME)"));
    top.put("log_every_seconds", Field.number(30.0, 0, 1e6, "console progress cadence"));
    top.put("spark", spark);
    return new Schema(top);
  }

  private static Long label(Object v) {
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.longValue() >= 0) {
      return n.longValue();
    }
    throw new IllegalArgumentException("a non-negative integer");
  }

  /** A class name: text (a plain integer is taken as its digits), not empty, no line break. */
  private static String className(Object v) {
    if (v == null) {
      throw new IllegalArgumentException("a non-empty name on one line, not an empty name");
    }
    if (!(v instanceof String) && !(v instanceof Long)) {
      throw new IllegalArgumentException("a name (quote names that read as numbers, true / false or null)");
    }
    String name = v.toString();
    String problem = ClassNames.problem(name);
    if (problem != null) {
      throw new IllegalArgumentException("a non-empty name on one line, not " + problem);
    }
    return name;
  }

  private static Double number(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException("a number");
  }

  public TrainJob(String file, List<String> overrides) {
    this(JobFile.load(file, schema(), overrides), true);
  }

  /**
   * A job whose samples come from elsewhere (a DataFrame: the Spark ML estimator), described by a parsed document
   * of the same schema; data.train and data.test are not read. name stands for the file in error messages.
   */
  public static TrainJob withoutSources(String name, Map<String, Object> doc) {
    return new TrainJob(JobFile.of(name, schema(), doc), false);
  }

  private TrainJob(JobFile job, boolean sources) {
    this.job = job;
    this.model = modelSpec(job);
    this.config = new TrainConfig();
    config.model = model;
    config.globalBatch = (int) job.integer("training.batch");
    config.microBatch = (int) job.integer("training.micro_batch");
    config.labelSmoothing = (float) job.number("training.label_smoothing");
    config.clipNorm = job.number("training.clip_norm");
    config.seed = job.integer("training.seed");
    config.initSeed = job.integer("training.seed");
    config.syncEvery = (int) job.integer("training.sync_every");
    String sync = job.has("training.sync") ? job.string("training.sync")
        : config.syncEvery > 1 ? "local" : "collective";
    if (config.syncEvery > 1 && !sync.equals("local")) {
      throw job.error("training.sync_every", config.syncEvery, "1 unless training.sync is local (local SGD)");
    }
    if (sync.equals("local") && config.syncEvery < 2) {
      throw job.error("training.sync_every", config.syncEvery, "at least 2 with training.sync: local");
    }
    config.sync = TrainConfig.Sync.parse(sync);
    config.ranks = (int) job.integer("training.ranks");
    config.sessionRetries = (int) job.integer("training.session_retries");
    config.skipNonFinite = (int) job.integer("training.skip_nonfinite");
    config.peerTimeoutSeconds = job.number("training.peer_timeout_seconds");
    config.bucketFloats = (int) Math.max(1, Math.round(job.number("training.bucket_mb") * (1 << 20) / 4));
    config.augmentations = new ArrayList<>();
    job.list("data.augmentations").forEach(a -> config.augmentations.add(a.toString()));
    config.optimizer.name = job.string("training.optimizer");
    config.optimizer.lr = (float) job.number("training.lr");
    config.optimizer.momentum = (float) job.number("training.momentum");
    config.optimizer.nesterov = job.bool("training.nesterov");
    if (config.optimizer.nesterov && config.optimizer.momentum == 0) {
      throw job.error("training.nesterov", true, "momentum > 0 (Nesterov needs momentum)");
    }
    config.optimizer.weightDecay = (float) job.number("training.weight_decay");
    config.optimizer.schedule = job.string("training.schedule");
    config.optimizer.warmupSteps = job.integer("training.warmup_steps");
    config.optimizer.stepEvery = job.integer("training.step_every");
    config.optimizer.milestones = job.list("training.milestones").stream().mapToDouble(o -> (Double) o).toArray();
    config.optimizer.gamma = (float) job.number("training.gamma");
    config.optimizer.minLr = (float) job.number("training.min_lr");
    this.segmentation = perPixel(job, model);
    segmentationKeys();
    this.train = sources ? source(job, "data.train", true) : null;
    if (train != null) {
      train.validationFraction = job.number("data.validation.fraction");
      train.validationSeed = job.integer("data.validation.seed");
    }
    this.test = sources && (job.has("data.test.path") || "generated".equals(job.string("data.test.format")))
        ? source(job, "data.test", false) : null;
    transfer(job, model, config);
    config.dataDescription = train != null ? train.describe() : job.file();
    if (job.has("data.class_names")) {
      List<String> names = job.list("data.class_names").stream().map(Object::toString).toList();
      if (names.size() != model.classes()) {
        throw job.error("data.class_names", names, model.classes() + " names, one per class (model.classes is "
            + model.classes() + "), got " + names.size());
      }
      String twice = ClassNames.duplicate(names);
      if (twice != null) {
        throw job.error("data.class_names", names, "distinct names ('" + twice + "' appears twice)");
      }
      classNames = names;
    } else {
      classNames = null;
    }
    for (String prefix : train == null ? List.<String>of() : test == null ? List.of("data.train")
        : List.of("data.train", "data.test")) {
      Source s = prefix.equals("data.train") ? train : test;
      if (segmentation && !Source.MASK_FORMATS.contains(s.format)) {
        throw job.error(prefix + ".format", s.format, "a format with masks, since " + model.name() + " predicts a "
            + "class per pixel: " + String.join(", ", Source.MASK_FORMATS));
      }
      if (!segmentation && s.format.equals("segfolder")) {
        throw job.error(prefix + ".format", s.format, "a classification format, since " + model.name()
            + " predicts one class per image (segfolder is for segmentation models)");
      }
      s.segmentation = segmentation;
      s.ignoreIndex = config.ignoreIndex;
      if (s.selectClasses.length > model.classes()) {
        throw job.error(prefix + ".select_classes", job.list(prefix + ".select_classes"), "at most model.classes ("
            + model.classes() + ") labels: they become labels 0, 1, ...");
      }
      if (segmentation && s.selectClasses.length > 0) {
        throw job.error(prefix + ".select_classes", job.list(prefix + ".select_classes"), "none for segmentation "
            + "(every pixel has a class; fraction still applies)");
      }
    }
    List<Object> mean = job.list("data.normalization.mean");
    List<Object> std = job.list("data.normalization.std");
    if (mean.isEmpty() != std.isEmpty()) {
      throw job.error(mean.isEmpty() ? "data.normalization.mean" : "data.normalization.std", "(missing)",
          "both mean and std, or neither (then they are computed)");
    }
    if (!mean.isEmpty() && (mean.size() != model.channels() || std.size() != model.channels())) {
      throw job.error("data.normalization.mean", mean, model.channels() + " values (one per input channel)");
    }
    computeNormalization = mean.isEmpty();
    if (!computeNormalization) {
      float[] m = new float[mean.size()];
      float[] s = new float[std.size()];
      for (int i = 0; i < m.length; i++) {
        m[i] = ((Double) mean.get(i)).floatValue();
        s[i] = ((Double) std.get(i)).floatValue();
        if (!(s[i] > 0)) {
          throw job.error("data.normalization.std", std, "positive numbers");
        }
      }
      config.normalization = new Normalization(m, s);
    }
  }

  /** init.checkpoint, training.freeze and training.features, checked against the network. */
  private static void transfer(JobFile job, ModelSpec model, TrainConfig config) {
    config.initCheckpoint = job.string("init.checkpoint");
    List<String> freeze = job.list("training.freeze").stream().map(String::valueOf).toList();
    Model built = freeze.isEmpty() && job.map("training.lr_multipliers").isEmpty() ? null : Zoo.build(model);
    try {
      config.frozenParams = Transfer.frozenParams(model, built, freeze);
    } catch (IllegalArgumentException e) {
      throw job.error("training.freeze", freeze, "a leading run of " + model.name() + "'s layers: " + e.getMessage());
    }
    job.map("training.lr_multipliers").forEach((name, value) -> {
      double m;
      try {
        m = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw job.error("training.lr_multipliers." + name, value, "a number >= 0");
      }
      if (!(m >= 0) || Double.isInfinite(m)) {
        throw job.error("training.lr_multipliers." + name, value, "a number >= 0");
      }
      config.lrMultipliers.put(name, m);
    });
    try {
      Transfer.rates(model, built, config.lrMultipliers);
    } catch (IllegalArgumentException e) {
      throw job.error("training.lr_multipliers", job.map("training.lr_multipliers"), "layer names of "
          + model.name() + ": " + e.getMessage());
    }
    config.featureInput = job.string("training.features").equals("precompute");
    config.featuresPath = job.string("features.path");
    if (config.featureInput && config.frozenParams == 0) {
      throw job.error("training.features", "precompute", "training.freeze naming the backbone whose features are "
          + "computed once");
    }
    if (config.featureInput && !config.augmentations.isEmpty()) {
      throw job.error("data.augmentations", config.augmentations, "none with training.features: precompute (the "
          + "features are computed once, so per-step augmentations cannot apply)");
    }
    if (config.featuresPath != null && !config.featureInput) {
      throw job.error("features.path", config.featuresPath, "only with training.features: precompute");
    }
  }

  /**
   * Whether the job is a segmentation job: the architecture's output is (N, K, H, W). Its masks are the input's
   * size, so the output must be too.
   */
  private static boolean perPixel(JobFile job, ModelSpec model) {
    int[] out = Zoo.outputShape(model);
    if (out.length != 3) {
      return false;
    }
    if (out[1] != model.height() || out[2] != model.width()) {
      throw new ConfigException(job.file() + ": model.architecture: " + model.name() + " predicts " + out[1] + "x"
          + out[2] + " masks for " + model.height() + "x" + model.width() + " inputs; segmentation training needs "
          + "masks as large as the input (a padded network such as unet_padded or unet_small)");
    }
    return true;
  }

  /** training.ignore_index and training.class_weights: checked, and only for segmentation. */
  private void segmentationKeys() {
    List<Object> weights = job.list("training.class_weights");
    if (!segmentation && (job.has("training.ignore_index") || !weights.isEmpty())) {
      String key = job.has("training.ignore_index") ? "training.ignore_index" : "training.class_weights";
      throw job.error(key, job.has("training.ignore_index") ? job.integer(key) : weights, "no value: it applies "
          + "to segmentation models (per-pixel output), and " + model.name() + " predicts one class per image");
    }
    if (job.has("training.ignore_index")) {
      long ignore = job.integer("training.ignore_index");
      if (ignore > 255) {
        throw job.error("training.ignore_index", ignore, "a mask value 0..255 (masks are 8-bit)");
      }
      if (ignore < model.classes()) {
        throw job.error("training.ignore_index", ignore, "a value that is not a class (>= model.classes, "
            + model.classes() + "), e.g. 255");
      }
      config.ignoreIndex = (int) ignore;
    }
    if (!weights.isEmpty()) {
      if (weights.size() != model.classes()) {
        throw job.error("training.class_weights", weights, model.classes() + " numbers (one per class)");
      }
      config.classWeights = new float[weights.size()];
      double sum = 0;
      for (int i = 0; i < weights.size(); i++) {
        double v = (Double) weights.get(i);
        if (!(v >= 0) || Double.isInfinite(v)) {
          throw job.error("training.class_weights", weights, "finite numbers >= 0");
        }
        config.classWeights[i] = (float) v;
        sum += v;
      }
      if (sum == 0) {
        throw job.error("training.class_weights", weights, "at least one positive weight");
      }
    }
  }

  /** The model of a job file's "model" section, built once to check that the input fits the network. */
  public static ModelSpec modelSpec(JobFile job) {
    String arch = job.string("model.architecture");
    if (arch == null) {
      throw new ConfigException(job.file() + ": model.architecture is required (one of " + String.join(", ",
          Zoo.names()) + ")");
    }
    int[] input = null;
    if (job.has("model.input")) {
      try {
        input = ModelSpec.parseInput(job.string("model.input"), "model.input");
      } catch (IllegalArgumentException e) {
        throw job.error("model.input", job.string("model.input"), "CxHxW with positive sizes, e.g. 1x28x28");
      }
    }
    Double phi = job.numberOrNull("model.phi");
    if (phi != null && (job.has("model.width") || job.has("model.depth") || job.has("model.resolution"))) {
      throw job.error("model.phi", phi, "either phi or width/depth/resolution, not both");
    }
    Scaling scaling = phi != null ? Scaling.phi(phi) : new Scaling(orOne(job, "model.width"),
        orOne(job, "model.depth"), orOne(job, "model.resolution"));
    Integer classes = job.has("model.classes") ? (int) job.integer("model.classes") : null;
    ModelSpec spec = Zoo.spec(arch, classes, input, scaling);
    try {
      Zoo.build(spec);
    } catch (ModelTooLarge e) {
      throw new ConfigException(job.file() + ": model: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(job.file() + ": model.input: got '" + spec.input() + "', expected a size the network "
          + "accepts: " + e.getMessage());
    }
    return spec;
  }

  private static double orOne(JobFile job, String key) {
    Double v = job.numberOrNull(key);
    return v == null ? 1 : v;
  }

  private static Source source(JobFile job, String prefix, boolean required) {
    Source s = new Source();
    s.format = job.string(prefix + ".format");
    s.path = job.string(prefix + ".path");
    s.labels = job.string(prefix + ".labels");
    s.imageColumn = job.string(prefix + ".image_column");
    s.labelColumn = job.string(prefix + ".label_column");
    s.maskColumn = job.string(prefix + ".mask_column");
    s.samples = (int) job.integer(prefix + ".samples");
    s.seed = job.integer(prefix + ".seed");
    s.maxBadFraction = job.number(prefix + ".max_bad_fraction");
    s.maxPixels = job.integer(prefix + ".max_pixels");
    s.selectClasses = job.list(prefix + ".select_classes").stream().mapToInt(o -> ((Long) o).intValue()).toArray();
    if (java.util.Arrays.stream(s.selectClasses).distinct().count() != s.selectClasses.length) {
      throw job.error(prefix + ".select_classes", job.list(prefix + ".select_classes"), "distinct labels");
    }
    s.fraction = job.number(prefix + ".fraction");
    if (!s.format.equals("generated") && s.path == null) {
      throw job.error(prefix + ".path", "(missing)", "the " + s.format + " data's path"
          + (required ? "" : " (or leave out the whole section)"));
    }
    if (s.format.equals("idx") && s.labels == null) {
      throw job.error(prefix + ".labels", "(missing)", "the IDX label file next to " + s.path);
    }
    return s;
  }

  /** The run's name: the file's "name", else the file name without extension. */
  public String name() {
    if (job.has("name")) {
      return job.string("name");
    }
    String f = java.nio.file.Path.of(job.file()).getFileName().toString();
    return f.contains(".") ? f.substring(0, f.lastIndexOf('.')) : f;
  }

  public String output() {
    return job.has("output") ? job.string("output") : "runs/" + name();
  }
}
