package sparkcnn.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import sparkcnn.jobs.config.ConfigException;
import sparkcnn.jobs.config.Field;
import sparkcnn.jobs.config.Schema;
import sparkcnn.jobs.config.TrainJob;

/**
 * The params of {@link CnnClassifier} declared once: each either sets one job-file key (its doc, default and
 * validation are that key's, from {@link TrainJob#schema()}) or is a Spark ML column / run param of its own.
 * {@link #jobDocument} turns the params set on an estimator into a job document that {@link TrainJob} reads
 * exactly as it reads a YAML file, so the command line and the estimator cannot disagree on a key.
 */
final class JobParams {
  /** A param's Spark type. */
  enum Kind { STRING, INT, LONG, DOUBLE, BOOLEAN, STRINGS }

  /** One param: jobKey null for params of the Spark ML API itself, with their own doc and default. */
  record Decl(String name, String jobKey, Kind kind, String doc, Object dflt) {}

  /** The generic param: any other job key, as "key.path=value" (like the command line's --set). */
  static final String SETTINGS = "jobSettings";

  static final List<Decl> DECLS = List.of(
      own("featuresCol", Kind.STRING, "features column: Spark's image struct (the image data source), encoded image "
          + "bytes (binary) or a vector / array<float> of C*H*W pixels in [0, 1] in (C, H, W) order", "features"),
      own("labelCol", Kind.STRING, "label column: class indices 0..K-1 (numeric); class names come from its "
          + "metadata (StringIndexer) when present", "label"),
      own("predictionCol", Kind.STRING, "prediction column (double class index; null for an unreadable input)",
          "prediction"),
      own("probabilityCol", Kind.STRING, "class probabilities column (vector)", "probability"),
      own("rawPredictionCol", Kind.STRING, "raw prediction column (vector): the log-probabilities", "rawPrediction"),
      own("errorCol", Kind.STRING, "why an input could not be scored (null when it was)", "error"),
      job("architecture", "model.architecture", Kind.STRING),
      job("classes", "model.classes", Kind.INT),
      job("inputShape", "model.input", Kind.STRING),
      job("phi", "model.phi", Kind.DOUBLE),
      job("width", "model.width", Kind.DOUBLE),
      job("depth", "model.depth", Kind.DOUBLE),
      job("resolution", "model.resolution", Kind.DOUBLE),
      job("epochs", "training.epochs", Kind.INT),
      job("batchSize", "training.batch", Kind.INT),
      job("optimizer", "training.optimizer", Kind.STRING),
      job("learningRate", "training.lr", Kind.DOUBLE),
      job("weightDecay", "training.weight_decay", Kind.DOUBLE),
      job("augmentations", "data.augmentations", Kind.STRINGS),
      job("sync", "training.sync", Kind.STRING),
      job("seed", "training.seed", Kind.LONG),
      job("freeze", "training.freeze", Kind.STRINGS),
      job("initCheckpoint", "init.checkpoint", Kind.STRING),
      job("validationFraction", "data.validation.fraction", Kind.DOUBLE),
      own("checkpointDir", Kind.STRING, "where training writes checkpoints/ and metrics.jsonl (any Hadoop path); "
          + "unset: a temporary folder removed after fit", null),
      own("scoreBatchSize", Kind.INT, "images per forward when transforming (as score's --batch)", 64),
      own(SETTINGS, Kind.STRINGS, "any other job-file key as key.path=value, e.g. training.schedule=cosine, "
          + "training.momentum=0.8 (see bin/sparkcnn train --schema); keys with a param of their own and data "
          + "sources are refused", new String[0]));

  /**
   * Job keys that make no sense for a DataFrame: where data comes from and how the command line starts Spark.
   * Everything else of the schema is a param above or settable through {@link #SETTINGS}.
   */
  static final List<String> NOT_FOR_DATAFRAMES = List.of("name", "data.train.", "data.test.", "output", "spark.",
      "log_every_seconds", "features.path");

  private JobParams() {}

  private static Decl job(String name, String key, Kind kind) {
    return new Decl(name, key, kind, null, null);
  }

  private static Decl own(String name, Kind kind, String doc, Object dflt) {
    return new Decl(name, null, kind, doc, dflt);
  }

  static Decl decl(String name) {
    for (Decl d : DECLS) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException("no param " + name);
  }

  /** Every key of the job schema with its field ("training.lr" -> Field). */
  static Map<String, Field> schemaFields() {
    return TrainJob.schema().fields();
  }

  /** Every declared param of owner by name; call {@link #setDefaults} once the owner can return them. */
  static Map<String, Param<?>> declare(Params owner) {
    Map<String, Param<?>> m = new LinkedHashMap<>();
    for (Decl d : DECLS) {
      m.put(d.name(), create(owner, d));
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  static void setDefaults(Params owner, Map<String, Param<?>> params) {
    for (Decl d : DECLS) {
      Object v = dflt(d);
      if (v != null) {
        owner.setDefault((Param<Object>) params.get(d.name()), v);
      }
    }
  }

  /** The Spark param of a declaration, owned by owner; its validator throws a message naming the param. */
  static Param<?> create(Params owner, Decl d) {
    Field f = d.jobKey() == null ? null : schemaFields().get(d.jobKey());
    if (d.jobKey() != null && f == null) {
      throw new IllegalStateException("param " + d.name() + ": job key " + d.jobKey() + " is not in the job schema");
    }
    String doc = f == null ? d.doc() : f.description() + " (job key " + d.jobKey() + ")";
    String who = owner.getClass().getSimpleName();
    scala.Function1<Object, Object> valid = v -> {
      check(who, d, f, v);
      return true;
    };
    return switch (d.kind()) {
      case STRING -> new Param<String>(owner, d.name(), doc, cast(valid));
      case INT -> new IntParam(owner, d.name(), doc, valid);
      case LONG -> new LongParam(owner, d.name(), doc, valid);
      case DOUBLE -> new DoubleParam(owner, d.name(), doc, valid);
      case BOOLEAN -> new BooleanParam(owner, d.name(), doc);
      case STRINGS -> new StringArrayParam(owner, d.name(), doc, cast(valid));
    };
  }

  @SuppressWarnings("unchecked")
  private static <T> scala.Function1<T, Object> cast(scala.Function1<Object, Object> f) {
    return (scala.Function1<T, Object>) (scala.Function1<?, ?>) f;
  }

  /** The default of a declaration in its Spark type: the job key's default, or the param's own; null: none. */
  static Object dflt(Decl d) {
    Object v = d.jobKey() == null ? d.dflt() : schemaFields().get(d.jobKey()).dflt();
    return v == null ? null : toSpark(d.kind(), v);
  }

  private static Object toSpark(Kind kind, Object v) {
    return switch (kind) {
      case INT -> ((Number) v).intValue();
      case LONG -> ((Number) v).longValue();
      case DOUBLE -> ((Number) v).doubleValue();
      case STRINGS -> v instanceof String[] a ? a : ((List<?>) v).stream().map(String::valueOf)
          .toArray(String[]::new);
      default -> v;
    };
  }

  /** A Spark value as the YAML reader would have produced it. */
  static Object toJob(Object v) {
    if (v instanceof Integer i) {
      return i.longValue();
    }
    if (v instanceof String[] a) {
      return new ArrayList<Object>(Arrays.asList(a));
    }
    return v;
  }

  private static void check(String who, Decl d, Field f, Object v) {
    if (v == null) {
      throw new IllegalArgumentException(who + ": param " + d.name() + ": got null, expected a value");
    }
    if (f != null) {
      try {
        f.check().apply(toJob(v));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(who + ": param " + d.name() + " (job key " + d.jobKey() + "): got '"
            + show(v) + "', expected " + e.getMessage());
      }
    } else if (d.name().equals("scoreBatchSize") && (Integer) v < 1) {
      throw new IllegalArgumentException(who + ": param scoreBatchSize: got " + v + ", expected an integer >= 1");
    } else if (d.name().equals(SETTINGS)) {
      for (String s : (String[]) v) {
        settingKey(who, s);
      }
    } else if (d.kind() == Kind.STRING && ((String) v).isEmpty() && d.name().endsWith("Col")) {
      throw new IllegalArgumentException(who + ": param " + d.name() + ": got an empty column name");
    }
  }

  /** The key of one jobSettings entry, refused when a param of its own or a data source says it. */
  static String settingKey(String who, String setting) {
    int eq = setting.indexOf('=');
    String key = eq <= 0 ? "" : setting.substring(0, eq).trim();
    if (key.isEmpty()) {
      throw new IllegalArgumentException(who + ": param " + SETTINGS + ": got '" + setting + "', expected "
          + "key.path=value");
    }
    for (Decl d : DECLS) {
      if (key.equals(d.jobKey())) {
        throw new IllegalArgumentException(who + ": param " + SETTINGS + ": got '" + setting + "'; " + key
            + " is param " + d.name() + ": set that instead");
      }
    }
    for (String no : NOT_FOR_DATAFRAMES) {
      if (key.equals(no) || no.endsWith(".") && key.startsWith(no)) {
        throw new IllegalArgumentException(who + ": param " + SETTINGS + ": got '" + setting + "'; " + key
            + " does not apply to a DataFrame (the data is the DataFrame's; Spark is the session's)");
      }
    }
    return key;
  }

  private static String show(Object v) {
    return v instanceof String[] a ? Arrays.toString(a) : String.valueOf(v);
  }

  /**
   * The job document of the params set on p (defaults are the schema's anyway), plus extra keys; jobSettings go
   * last through the command line's own --set parsing.
   */
  static Map<String, Object> jobDocument(Params p, Map<String, Object> extra) {
    Map<String, Object> doc = new LinkedHashMap<>();
    for (Decl d : DECLS) {
      Param<Object> param = param(p, d.name());
      if (d.jobKey() != null && p.isSet(param)) {
        put(doc, d.jobKey(), toJob(p.getOrDefault(param)));
      }
    }
    extra.forEach((k, v) -> put(doc, k, v));
    for (String s : (String[]) p.getOrDefault(param(p, SETTINGS))) {
      Schema.override(doc, s);
    }
    return doc;
  }

  @SuppressWarnings("unchecked")
  static Param<Object> param(Params p, String name) {
    return (Param<Object>) p.getParam(name);
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> doc, String path, Object v) {
    String[] keys = path.split("\\.");
    Map<String, Object> m = doc;
    for (int i = 0; i < keys.length - 1; i++) {
      m = (Map<String, Object>) m.computeIfAbsent(keys[i], k -> new LinkedHashMap<String, Object>());
    }
    m.put(keys[keys.length - 1], v);
  }

  /**
   * A job-schema error in the words of the params: "X params: training.lr: got ..." names the param that sets
   * training.lr, or jobSettings for the other keys.
   */
  static IllegalArgumentException translate(String who, ConfigException e) {
    String msg = e.getMessage();
    String prefix = who + " params: ";
    String rest = msg.startsWith(prefix) ? msg.substring(prefix.length()) : msg;
    for (Decl d : DECLS) {
      if (d.jobKey() != null && (rest.startsWith(d.jobKey() + ":") || rest.startsWith(d.jobKey() + " "))) {
        return new IllegalArgumentException(who + ": param " + d.name() + " (job key " + d.jobKey() + ")"
            + rest.substring(d.jobKey().length()), e);
      }
    }
    return new IllegalArgumentException(who + ": param " + SETTINGS + ": " + rest, e);
  }
}
