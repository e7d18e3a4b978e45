package sparkcnn.driver.score;

import java.io.Serializable;
import java.util.List;
import sparkcnn.driver.ModelPools;
import sparkcnn.driver.data.Normalization;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * The ensemble a scoring job applies: one or more checkpoints' models (same input shape and classes), each with
 * its normalization. Executors keep a pool of inference graphs (batch norm folded, dropout removed) per job, so
 * concurrent tasks in one JVM never share a model and nothing is rebuilt per partition.
 */
public final class ScoringModels implements Serializable {
  /** One member: its spec, weights and normalization. */
  public record Member(ModelSpec spec, float[] params, float[] state, Normalization normalization)
      implements Serializable {}

  /** Folded graphs per scoring job; an executor keeps the two jobs used last (close() reaches only the driver). */
  private static final ModelPools<Model[]> POOLS = new ModelPools<>(2);

  private final String id = java.util.UUID.randomUUID().toString();
  private final List<Member> members;

  public ScoringModels(List<Member> members) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("scoring needs at least one checkpoint");
    }
    ModelSpec first = members.get(0).spec();
    for (Member m : members) {
      if (m.spec().classes() != first.classes() || m.spec().height() != first.height()
          || m.spec().width() != first.width() || m.spec().channels() != first.channels()) {
        throw new IllegalArgumentException("ensemble members must share input and classes: " + first.name() + " "
            + first.input() + "/" + first.classes() + " vs " + m.spec().name() + " " + m.spec().input() + "/"
            + m.spec().classes());
      }
    }
    this.members = List.copyOf(members);
  }

  public List<Member> members() {
    return members;
  }

  public ModelSpec first() {
    return members.get(0).spec();
  }

  /** Folded models for one task, from this JVM's pool; give them back with {@link #release}. */
  Model[] acquire() {
    return POOLS.acquire(id, () -> {
      Model[] ms = new Model[members.size()];
      for (int i = 0; i < ms.length; i++) {
        Member m = members.get(i);
        ms[i] = Zoo.build(m.spec());
        ms[i].load(m.params(), m.state());
        ms[i].foldForInference();
      }
      return ms;
    });
  }

  void release(Model[] ms) {
    POOLS.release(id, ms);
  }

  /** Drops this job's pooled models in this JVM. */
  public void close() {
    POOLS.forget(id);
  }
}
