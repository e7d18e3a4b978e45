package sparkcnn.driver.train;

import java.util.List;
import java.util.Locale;
import sparkcnn.models.Model;

/**
 * A step whose loss or gradient was NaN or infinite (a learning rate that diverges, a bad input): training
 * stops before that step's update reaches the driver's model or any checkpoint, so the newest checkpoint is
 * the last good state; or, within training.skip_nonfinite, the step is skipped (see
 * {@link DataParallelTrainer#skipOrStop}).
 */
public final class NonFiniteStep extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  /** 1-based: the step that went wrong. */
  final long step;
  /** "step 3 (epoch 1): the gradient of layer ... is not finite (...)": what went wrong, without the outcome. */
  final String what;

  /** step: 1-based, the one that went wrong; firstBadParameter: lowest non-finite gradient index, or -1. */
  NonFiniteStep(long step, long stepsPerEpoch, double loss, int firstBadParameter, Model model) {
    this(step, String.format(Locale.ROOT, "step %d (epoch %d): %s", step,
        stepsPerEpoch > 0 ? (step - 1) / stepsPerEpoch + 1 : 1, firstBadParameter >= 0
            ? "the gradient of layer " + model.layerAt(firstBadParameter) + " is not finite (the first such layer)"
              + (Double.isFinite(loss) ? "" : ", and the loss is " + loss)
            : "the loss is " + loss), List.of(), 0);
  }

  private NonFiniteStep(long step, String what, List<Long> skipped, int allowed) {
    super(what + "; stopped before applying it (the newest checkpoint is the last good state; lower training.lr "
        + "or set training.clip_norm)" + (allowed > 0 ? String.format(Locale.ROOT, "; %d earlier non-finite "
        + "step(s) skipped %s, training.skip_nonfinite is %d", skipped.size(), skipped, allowed) : ""));
    this.step = step;
    this.what = what;
  }

  /** The same fault, saying which steps were skipped before it. */
  NonFiniteStep afterSkipping(List<Long> skipped, int allowed) {
    return new NonFiniteStep(step, what, List.copyOf(skipped), allowed);
  }
}
