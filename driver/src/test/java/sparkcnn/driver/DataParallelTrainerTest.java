package sparkcnn.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import sparkcnn.driver.data.BatchMaker;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.data.augment.Augmentations;
import sparkcnn.driver.train.CheckpointStore;
import sparkcnn.driver.train.BroadcastTrainer;
import sparkcnn.driver.train.DataParallelTrainer;
import sparkcnn.driver.train.ShardPlan;
import sparkcnn.driver.train.TrainConfig;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.Trainer;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/**
 * Both synchronous modes against the single-JVM reference: same parameters after N steps for 1, 2 and 3
 * partitions (collective: as many ranks, each its own barrier task; and 3 partitions on 2 ranks);
 * deterministic; unchanged by a failed-and-retried task or session; resume equals a straight run.
 */
class DataParallelTrainerTest {
  private static final int STEPS = 4;

  private static TrainConfig config(TrainConfig.Sync sync) {
    TrainConfig cfg = new TrainConfig();
    cfg.sync = sync;
    cfg.bucketFloats = 700; // several buckets, so reduction overlaps backward and chunks straddle the state
    cfg.peerTimeoutSeconds = 60;
    // A CIFAR ResNet narrowed to one block per stage: batch norm, residual adds, option-A shortcuts.
    cfg.model = Zoo.spec("cifar_resnet20", 4, new int[] {1, 12, 12}, new Scaling(0.25, 0.3, 1));
    cfg.globalBatch = 24;
    cfg.microBatch = 4;
    cfg.seed = 5;
    cfg.initSeed = 6;
    cfg.augmentations = List.of("hflip", "crop:2");
    cfg.normalization = new Normalization(new float[] {0.4f}, new float[] {0.25f});
    cfg.optimizer.name = "sgd";
    cfg.optimizer.lr = 0.05f;
    cfg.optimizer.momentum = 0.9f;
    cfg.optimizer.nesterov = true;
    cfg.optimizer.weightDecay = 1e-4f;
    cfg.optimizer.schedule = "cosine";
    cfg.totalSteps = 10;
    return cfg;
  }

  private static JavaRDD<SampleBlock> data(int partitions) {
    return data(partitions, 12);
  }

  private static JavaRDD<SampleBlock> data(int partitions, int side) {
    return Datasets.generated(SparkTestContext.get(), 90, 1, side, side, 4, partitions, 3);
  }

  /**
   * The TensorFlow-tutorial convnet narrowed: dropout (0.4) before its head. (A network with batch norm AND
   * dropout at this size, MobileNet v2 at 16x16, matches the single JVM to 1e-6 after one step but is chaotic
   * after two: batch norm over four samples of 1x1 maps amplifies float rounding by about 1e4 a step.)
   */
  private static TrainConfig withDropout(TrainConfig cfg) {
    cfg.model = Zoo.spec("tf_convnet", 4, new int[] {1, 16, 16}, new Scaling(0.25, 1, 1));
    return cfg;
  }

  private static float[] distributed(int partitions, TrainConfig cfg, int steps) {
    DataParallelTrainer t = DataParallelTrainer.create(SparkTestContext.get(), data(partitions,
        cfg.model.height()), cfg);
    t.run(steps, "test", r -> { });
    t.close();
    float[] p = t.model().params().clone();
    float[] s = t.model().state();
    float[] both = new float[p.length + s.length];
    System.arraycopy(p, 0, both, 0, p.length);
    System.arraycopy(s, 0, both, p.length, s.length);
    return both;
  }

  /** The same steps in one JVM: the global batch assembled from every partition's shard, same micro-batches. */
  private static float[] reference(int partitions, TrainConfig cfg, int steps) {
    int side = cfg.model.height();
    List<SampleBlock> blocks = data(partitions, side).collect();
    int[] sizes = blocks.stream().mapToInt(SampleBlock::size).toArray();
    ShardPlan plan = new ShardPlan(cfg.globalBatch, cfg.microBatch, cfg.seed, sizes);
    Model model = cfg.buildModel().init(cfg.initSeed);
    Trainer trainer = new Trainer(model, cfg.optimizer.optimizer(), cfg.optimizer.schedule(cfg.totalSteps),
        new Trainer.Options(cfg.labelSmoothing, cfg.clipNorm, cfg.microBatch));
    List<ShardPlan.EpochPermutation> perms = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      perms.add(new ShardPlan.EpochPermutation());
    }
    int per = side * side;
    for (long step = 0; step < steps; step++) {
      Tensor images = Tensor.zeros(cfg.globalBatch, 1, side, side);
      int[] labels = new int[cfg.globalBatch];
      List<Integer> micro = new ArrayList<>();
      int at = 0;
      for (int p = 0; p < partitions; p++) {
        int[] shard = plan.shard(step, p, perms.get(p));
        BatchMaker maker = new BatchMaker();
        Tensor x = maker.make(blocks.get(p), shard, 0, shard.length, Augmentations.parse(cfg.augmentations),
            cfg.normalization, cfg.seed, step, p);
        System.arraycopy(x.data, x.offset, images.data, at * per, shard.length * per);
        System.arraycopy(maker.labels(), 0, labels, at, shard.length);
        at += shard.length;
        for (int m : plan.microBatches(p)) {
          micro.add(m);
        }
      }
      trainer.step(images, labels, micro.stream().mapToInt(Integer::intValue).toArray());
    }
    float[] both = new float[model.paramCount() + model.state().length];
    System.arraycopy(model.params(), 0, both, 0, model.paramCount());
    System.arraycopy(model.state(), 0, both, model.paramCount(), model.state().length);
    return both;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length);
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs(expected[i] - actual[i]) / (1e-2 + Math.abs(expected[i]));
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    assertTrue(worst < 2e-4, what + ": worst relative difference " + worst + " at " + at + " of " + expected.length);
  }

  /** Tasks of the collective sessions' barrier stages, as Spark's listener bus saw them. */
  private static final class BarrierStages extends SparkListener {
    final List<Integer> tasks = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
      if (scala.jdk.javaapi.CollectionConverters.asJava(e.stageInfo().rddInfos()).stream()
          .anyMatch(org.apache.spark.storage.RDDInfo::isBarrier)) {
        tasks.add(e.stageInfo().numTasks());
      }
    }
  }

  static java.util.stream.Stream<Arguments> modes() {
    return java.util.stream.Stream.of(Arguments.of("broadcast", 1, 0, 0.0), Arguments.of("broadcast", 2, 0, 0.0),
        Arguments.of("broadcast", 3, 0, 0.0), Arguments.of("collective", 1, 0, 0.0),
        Arguments.of("collective", 2, 0, 0.0), Arguments.of("collective", 3, 0, 0.0),
        Arguments.of("collective", 3, 2, 0.0), Arguments.of("collective", 2, 0, 0.5),
        Arguments.of("broadcast", 2, 0, 0.5), Arguments.of("collective", 2, 0, -1.0),
        Arguments.of("collective", 3, 0, -1.0), Arguments.of("broadcast", 2, 0, -1.0));
  }

  /**
   * clip: a global-norm limit low enough to bite (the collective update then waits for the norm); -1: no clip,
   * and a convnet with dropout instead of the ResNet.
   */
  @ParameterizedTest(name = "{0}, {1} partitions, ranks {2}, clip {3}")
  @MethodSource("modes")
  void distributedStepsEqualTheSingleJvmTrainer(String mode, int partitions, int ranks, double clip) {
    TrainConfig cfg = config(TrainConfig.Sync.parse(mode));
    cfg.ranks = ranks;
    if (clip < 0) {
      withDropout(cfg);
    } else {
      cfg.clipNorm = clip;
    }
    float[] ref = reference(partitions, cfg, STEPS);
    BarrierStages stages = new BarrierStages();
    SparkTestContext.get().sc().addSparkListener(stages);
    float[] dist;
    try {
      dist = distributed(partitions, cfg, STEPS);
    } finally {
      SparkTestContext.get().sc().removeSparkListener(stages);
    }
    assertClose(ref, dist, mode + ", " + partitions + " partitions vs single JVM");
    if (cfg.sync == TrainConfig.Sync.COLLECTIVE) {
      // One session (STEPS < an epoch), run as one barrier stage of one task per rank.
      assertEquals(List.of(ranks > 0 ? ranks : partitions), stages.tasks);
    } else {
      assertTrue(stages.tasks.isEmpty());
    }
    // And training moved the parameters (the comparison is not between two untouched copies).
    float[] init = Zoo.build(cfg.model).init(cfg.initSeed).params();
    double moved = 0;
    for (int i = 0; i < init.length; i++) {
      moved = Math.max(moved, Math.abs(init[i] - dist[i]));
    }
    assertTrue(moved > 1e-3, "parameters moved by " + moved);
  }

  /**
   * training.freeze in every trainer: the ResNet's stem and first stage frozen (batch norm inside: their running
   * statistics must not move either), the rest trained; broadcast and collective equal the single JVM.
   */
  @ParameterizedTest
  @ValueSource(strings = {"broadcast", "collective", "local"})
  void aFrozenBackboneStaysBitIdenticalInEveryTrainer(String mode) {
    TrainConfig cfg = config(TrainConfig.Sync.parse(mode));
    if (cfg.sync == TrainConfig.Sync.LOCAL) {
      cfg.syncEvery = 2;
    }
    Model fresh = Zoo.build(cfg.model).init(cfg.initSeed);
    cfg.frozenParams = sparkcnn.models.zoo.Transfer.frozenParams(cfg.model, fresh, List.of("0", "1"));
    Model frozenView = cfg.buildModel();
    assertTrue(cfg.frozenParams > 0 && frozenView.frozenState() > 0, "the frozen part holds batch norms");
    float[] dist = distributed(2, cfg, STEPS);
    int np = fresh.paramCount();
    assertArrayEquals(java.util.Arrays.copyOf(fresh.params(), cfg.frozenParams),
        java.util.Arrays.copyOf(dist, cfg.frozenParams), "frozen parameters");
    assertArrayEquals(java.util.Arrays.copyOf(fresh.state(), frozenView.frozenState()),
        java.util.Arrays.copyOfRange(dist, np, np + frozenView.frozenState()), "frozen running statistics");
    double moved = 0;
    for (int i = cfg.frozenParams; i < np; i++) {
      moved = Math.max(moved, Math.abs(fresh.params()[i] - dist[i]));
    }
    assertTrue(moved > 1e-3, "the trained layers moved by " + moved);
    if (cfg.sync != TrainConfig.Sync.LOCAL) {
      assertClose(reference(2, cfg, STEPS), dist, mode + " with a frozen backbone vs single JVM");
    }
  }

  /** training.lr_multipliers: the same per-parameter rates in the sharded collective update and on the driver. */
  @ParameterizedTest
  @ValueSource(strings = {"broadcast", "collective"})
  void learningRateMultipliersEqualTheSingleJvm(String mode) {
    TrainConfig cfg = config(TrainConfig.Sync.parse(mode));
    cfg.lrMultipliers.put("all_but_head", 0.3);
    cfg.lrMultipliers.put("0", 0.0); // the stem: a later entry overrides an earlier one
    float[] dist = distributed(2, cfg, STEPS);
    assertClose(reference(2, cfg, STEPS), dist, mode + " with learning-rate multipliers vs single JVM");
    Model fresh = Zoo.build(cfg.model).init(cfg.initSeed);
    int stem = fresh.parts().get(0).paramCount();
    assertArrayEquals(java.util.Arrays.copyOf(fresh.params(), stem), java.util.Arrays.copyOf(dist, stem),
        "multiplier 0: the stem's convolution does not move");
  }

  @ParameterizedTest
  @ValueSource(strings = {"broadcast", "collective"})
  void sameSeedSameParametersAndAFailedTaskChangesNothing(String mode) {
    TrainConfig.Sync sync = TrainConfig.Sync.parse(mode);
    float[] a = distributed(2, config(sync), STEPS);
    float[] b = distributed(2, config(sync), STEPS);
    assertArrayEquals(a, b);
    TrainConfig faulty = config(sync);
    faulty.injectFailureAtStep = 2;
    float[] c = distributed(2, faulty, STEPS);
    assertArrayEquals(a, c);
  }

  @Test
  void aSessionThatKeepsFailingIsRerunAFewTimesThenStopsWithItsCause() {
    TrainConfig cfg = config(TrainConfig.Sync.COLLECTIVE);
    cfg.injectFailureAtStep = 1;
    cfg.injectFailureAttempts = 100; // every stage attempt: Spark gives up on each session job
    cfg.sessionRetries = 1;
    DataParallelTrainer t = DataParallelTrainer.create(SparkTestContext.get(), data(2), cfg);
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> t.run(STEPS, "doomed", r -> { }));
    t.close();
    assertTrue(e.getMessage().startsWith("collective session (steps 1-4, 2 ranks) failed 2 time(s) "
        + "(training.session_retries: 1); last error: ") && e.getMessage().contains("injected failure at step 1"),
        e.getMessage());
    assertEquals(0, t.step(), "the driver's model is untouched by failed sessions");
  }

  @ParameterizedTest
  @ValueSource(strings = {"broadcast", "collective"})
  void aNonFiniteGradientStopsTrainingBeforeItsUpdateNamingTheStepAndTheLayer(String mode) {
    TrainConfig.Sync sync = TrainConfig.Sync.parse(mode);
    float[] two = distributed(2, config(sync), 2);
    TrainConfig cfg = config(sync);
    cfg.stepsPerEpoch = 3;
    cfg.injectNonFiniteAtStep = 2; // the third step
    DataParallelTrainer t = DataParallelTrainer.create(SparkTestContext.get(), data(2), cfg);
    List<Long> reported = new ArrayList<>();
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> t.run(STEPS, "diverging", r -> reported.add(r.step())));
    t.close();
    String layer = t.model().layerAt(0); // a NaN input: the first layer's weight gradient is the first to go
    assertTrue(e.getMessage().startsWith("step 3 (epoch 1): the gradient of layer " + layer + " is not finite"),
        e.getMessage());
    if (sync == TrainConfig.Sync.BROADCAST) {
      // The driver's model is what two good steps made: the bad one never touched it.
      assertEquals(2, t.step());
      float[] now = new float[two.length];
      System.arraycopy(t.model().params(), 0, now, 0, t.model().paramCount());
      System.arraycopy(t.model().state(), 0, now, t.model().paramCount(), t.model().state().length);
      assertArrayEquals(two, now);
      assertEquals(List.of(1L, 2L), reported);
    } else {
      // A session is all or nothing: the model stays at the session's start, the good steps are reported.
      assertEquals(0, t.step());
      assertEquals(List.of(1L, 2L), reported);
      for (float v : t.model().params()) {
        assertTrue(Float.isFinite(v));
      }
    }
  }

  /**
   * A micro-batch that runs out of heap (injected at step 2 on partition 0): one error naming the step and what to
   * change, with no OutOfMemoryError among its causes (Spark would kill the JVM on finding one), the collective
   * session not rerun, and the application still able to train afterwards.
   */
  @ParameterizedTest
  @ValueSource(strings = {"broadcast", "collective"})
  void runningOutOfHeapStopsWithAdviceAndLeavesTheApplicationUsable(String mode) {
    TrainConfig.Sync sync = TrainConfig.Sync.parse(mode);
    TrainConfig cfg = config(sync);
    cfg.injectOutOfMemoryAtStep = 1;
    DataParallelTrainer t = DataParallelTrainer.create(SparkTestContext.get(), data(2), cfg);
    java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    org.apache.spark.scheduler.SparkListener counter = new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd e) {
        if (e.reason() instanceof org.apache.spark.TaskFailedReason f
            && f.toErrorString().contains("out of memory at step")) {
          failures.incrementAndGet();
        }
      }
    };
    SparkTestContext.get().sc().addSparkListener(counter);
    List<String> reruns = new ArrayList<>();
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true));
    Exception e;
    try {
      e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
          () -> t.run(STEPS, "exhausted", r -> { }));
    } finally {
      System.setErr(err);
      t.close();
      try {
        Thread.sleep(500); // task events reach listeners on Spark's listener bus thread
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      SparkTestContext.get().sc().removeSparkListener(counter);
    }
    // Collective: the first failure ends the job, Spark does not rerun the barrier stage (4 attempts here, each
    // failing alike). Broadcast: the job is cancelled too, but the task's retries start at once and this injected
    // failure is instant, so some run before the cancellation lands (3 of 4 seen); not asserted.
    if (sync == TrainConfig.Sync.COLLECTIVE) {
      assertEquals(1, failures.get(), "tasks that ran out of heap");
    }
    captured.toString().lines().filter(l -> l.contains("rerunning it from step")).forEach(reruns::add);
    // The advice itself, in both modes.
    String m = e.getMessage();
    assertTrue(m.startsWith("out of memory at step 2: a micro-batch of "), m);
    assertTrue(m.contains("Java heap space") && m.contains("training.micro_batch"), m);
    for (Throwable c = e; c != null; c = c.getCause()) {
      assertTrue(!(c instanceof OutOfMemoryError), "an OutOfMemoryError among the causes: " + c);
    }
    assertEquals(List.of(), reruns, "not rerun: the same micro-batch would run out again");
    // The same application trains on afterwards (nothing killed, no replica left locked).
    for (float v : distributed(2, config(sync), 2)) {
      assertTrue(Float.isFinite(v));
    }
  }

  /**
   * training.skip_nonfinite: 1 and a NaN input at step 3: that step changes nothing (the model after it is
   * bit-identical to two good steps), the run goes on to step 4, and both modes end at the same model.
   */
  @Test
  void aSkippedNonFiniteStepChangesNothingAndTrainingGoesOnInBothModes() {
    float[][] ends = new float[2][];
    for (TrainConfig.Sync sync : new TrainConfig.Sync[] {TrainConfig.Sync.BROADCAST, TrainConfig.Sync.COLLECTIVE}) {
      float[] two = distributed(2, config(sync), 2);
      TrainConfig cfg = config(sync);
      cfg.stepsPerEpoch = 3;
      cfg.injectNonFiniteAtStep = 2; // the third step
      cfg.skipNonFinite = 1;
      DataParallelTrainer t = DataParallelTrainer.create(SparkTestContext.get(), data(2), cfg);
      List<Long> reported = new ArrayList<>();
      t.run(3, "skipping", r -> reported.add(r.step()));
      assertEquals(3, t.step(), sync + ": the counter moved past the skipped step");
      float[] now = new float[two.length];
      System.arraycopy(t.model().params(), 0, now, 0, t.model().paramCount());
      System.arraycopy(t.model().state(), 0, now, t.model().paramCount(), t.model().state().length);
      assertArrayEquals(two, now, sync + ": the skipped step changed nothing");
      t.run(STEPS, "skipping", r -> reported.add(r.step()));
      t.close();
      assertEquals(List.of(1L, 2L, 4L), reported, sync.toString());
      assertEquals(List.of(3L), t.skippedSteps(), sync.toString());
      System.arraycopy(t.model().params(), 0, now, 0, t.model().paramCount());
      System.arraycopy(t.model().state(), 0, now, t.model().paramCount(), t.model().state().length);
      for (int i = 0; i < now.length; i++) {
        assertTrue(Float.isFinite(now[i]), sync + ": parameter or state " + i + " of " + now.length + " is " + now[i]);
      }
      ends[sync == TrainConfig.Sync.BROADCAST ? 0 : 1] = now;
    }
    assertClose(ends[0], ends[1], "collective against broadcast after a skipped step");
  }

  @ParameterizedTest
  @ValueSource(strings = {"broadcast", "collective"})
  void resumeFromACheckpointEqualsAStraightRun(String mode, @org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    TrainConfig.Sync sync = TrainConfig.Sync.parse(mode);
    JavaSparkContext sc = SparkTestContext.get();
    float[] straight = distributed(2, config(sync), STEPS + 2);
    DataParallelTrainer first = DataParallelTrainer.create(sc, data(2), config(sync));
    first.run(STEPS, "first", r -> { });
    CheckpointStore store = new CheckpointStore(dir.toUri().toString(), sc.hadoopConfiguration(), 2);
    store.save(config(sync).model.toMap(), first.step(), 1, first.model(), first.optimizer());
    first.close();
    DataParallelTrainer second = DataParallelTrainer.create(sc, data(2), config(sync));
    Checkpoint.Contents c = store.latest(w -> { });
    Checkpoint.restore(c, second.model(), second.optimizer(), "test");
    assertEquals(STEPS, second.step());
    List<Long> steps = new ArrayList<>();
    second.run(STEPS + 2, "second", r -> steps.add(r.step()));
    second.close();
    assertEquals(List.of((long) STEPS + 1, (long) STEPS + 2), steps);
    float[] resumed = new float[straight.length];
    System.arraycopy(second.model().params(), 0, resumed, 0, second.model().paramCount());
    System.arraycopy(second.model().state(), 0, resumed, second.model().paramCount(), second.model().state().length);
    assertArrayEquals(straight, resumed);
    assertTrue(Files.list(dir).noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
  }

  @Test
  void localStepsWithAveragingStillLearn() {
    TrainConfig cfg = config(TrainConfig.Sync.LOCAL);
    cfg.syncEvery = 2;
    cfg.augmentations = List.of();
    cfg.totalSteps = 40;
    BroadcastTrainer t = new BroadcastTrainer(SparkTestContext.get(), data(2), cfg);
    double first = t.step("round").loss();
    double last = first;
    while (t.step() < 40) {
      last = t.step("round").loss();
    }
    t.close();
    assertEquals(40, t.step());
    assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
  }

  @Test
  void distributedEvaluationEqualsTheSingleJvmEvaluation() {
    TrainConfig cfg = config(TrainConfig.Sync.BROADCAST);
    DataParallelTrainer t = DataParallelTrainer.create(SparkTestContext.get(), data(2), cfg);
    t.run(3, "train a little", r -> { });
    t.close();
    sparkcnn.driver.train.Evaluator.Result r = sparkcnn.driver.train.Evaluator.evaluate(SparkTestContext.get(),
        data(3), cfg.model, t.model().params(), t.model().state(), cfg.normalization, 7);
    List<SampleBlock> blocks = data(1).collect();
    BatchMaker maker = new BatchMaker();
    Tensor x = maker.make(blocks.get(0), null, 0, blocks.get(0).size(), List.of(), cfg.normalization, 0, 0, 0);
    // The evaluator runs the folded inference graph: so does the reference, on the same parameters.
    sparkcnn.models.Model folded = sparkcnn.models.zoo.Zoo.build(cfg.model).foldForInference();
    folded.load(t.model().params(), t.model().state());
    Trainer single = new Trainer(folded, cfg.optimizer.optimizer(), s -> 0f, Trainer.Options.DEFAULT);
    Trainer.Evaluation e = single.evaluate(x, maker.labels().clone(), 16);
    assertEquals(e.accuracy(), r.accuracy(), 1e-12);
    assertEquals(e.loss(), r.loss(), 1e-5);
    assertEquals(90, r.count());
    long diagonal = 0;
    long total = 0;
    for (int a = 0; a < 4; a++) {
      for (int b = 0; b < 4; b++) {
        total += r.confusion(a, b);
        diagonal += a == b ? r.confusion(a, b) : 0;
      }
    }
    assertEquals(90, total);
    assertEquals(Math.round(r.accuracy() * 90), diagonal);
    assertEquals(1.0, r.top5(), 1e-12); // four classes: the truth is always in the top five
  }
}
