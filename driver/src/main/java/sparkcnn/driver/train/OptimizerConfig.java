package sparkcnn.driver.train;

import java.io.Serializable;
import java.util.Arrays;
import sparkcnn.models.optim.Adam;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.RmsProp;
import sparkcnn.models.optim.Schedule;
import sparkcnn.models.optim.Sgd;

/**
 * The optimizer and learning-rate schedule of a run, as plain values so they travel to executors and into job
 * files: name (sgd, adam, adamw, rmsprop), base rate, momentum (SGD / RMSProp), Nesterov, weight decay, the
 * schedule (constant, step, multistep, cosine) with its parameters, and linear warm-up steps.
 */
public final class OptimizerConfig implements Serializable {
  public String name = "sgd";
  public float lr = 0.1f;
  public float momentum = 0.9f;
  public boolean nesterov = false;
  public float weightDecay = 0f;
  public float beta1 = 0.9f;
  public float beta2 = 0.999f;
  public String schedule = "cosine";
  /** step schedule: every this many steps; multistep: the milestones (fractions of the run if all < 1). */
  public double[] milestones = {};
  public long stepEvery = 0;
  public float gamma = 0.1f;
  public float minLr = 0f;
  public long warmupSteps = 0;

  public Optimizer optimizer() {
    return switch (name) {
      case "sgd" -> new Sgd(momentum, nesterov, weightDecay);
      case "adam" -> new Adam(beta1, beta2, 1e-8f, weightDecay, false);
      case "adamw" -> new Adam(beta1, beta2, 1e-8f, weightDecay, true);
      case "rmsprop" -> new RmsProp(0.9f, 1e-8f, momentum, weightDecay);
      default -> throw new IllegalArgumentException("optimizer '" + name + "': expected sgd, adam, adamw or rmsprop");
    };
  }

  /** The schedule for a run of totalSteps optimizer steps. */
  public Schedule schedule(long totalSteps) {
    Schedule s = switch (schedule) {
      case "constant" -> Schedule.constant(lr);
      case "step" -> Schedule.step(lr, Math.max(1, stepEvery), gamma);
      case "multistep" -> Schedule.multiStep(lr, Arrays.stream(milestones)
          .mapToLong(m -> m < 1 ? Math.round(m * totalSteps) : Math.round(m)).toArray(), gamma);
      case "cosine" -> Schedule.cosine(lr, Math.max(1, totalSteps - warmupSteps), minLr);
      default -> throw new IllegalArgumentException("schedule '" + schedule
          + "': expected constant, step, multistep or cosine");
    };
    if (warmupSteps <= 0) {
      return s;
    }
    if (schedule.equals("cosine")) {
      Schedule after = s;
      s = step -> after.lr(Math.max(0, step - warmupSteps));
    }
    return s.withWarmup(warmupSteps);
  }

  public String describe() {
    return name + " lr " + lr + (name.equals("sgd") ? " momentum " + momentum + (nesterov ? " nesterov" : "") : "")
        + (weightDecay > 0 ? " decay " + weightDecay : "") + ", " + schedule + (warmupSteps > 0 ? " warm-up "
        + warmupSteps : "");
  }
}
