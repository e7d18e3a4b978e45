package sparkcnn.driver.train;

import java.util.Locale;
import sparkcnn.models.Model;

/**
 * A step whose loss or gradient was NaN or infinite (a learning rate that diverges, a bad input): training
 * stops before that step's update reaches the driver's model or any checkpoint, so the newest checkpoint is
 * the last good state.
 */
public final class NonFiniteStep extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** step: 1-based, the one that went wrong; firstBadParameter: lowest non-finite gradient index, or -1. */
  NonFiniteStep(long step, long stepsPerEpoch, double loss, int firstBadParameter, Model model) {
    super(String.format(Locale.ROOT, "step %d (epoch %d): %s; stopped before applying it (the newest checkpoint "
        + "is the last good state; lower training.lr or set training.clip_norm)", step,
        stepsPerEpoch > 0 ? (step - 1) / stepsPerEpoch + 1 : 1, firstBadParameter >= 0
            ? "the gradient of layer " + model.layerAt(firstBadParameter) + " is not finite (the first such layer)"
              + (Double.isFinite(loss) ? "" : ", and the loss is " + loss)
            : "the loss is " + loss));
  }
}
