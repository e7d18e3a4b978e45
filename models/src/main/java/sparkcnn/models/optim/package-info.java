/** Optimizers, learning-rate schedules and gradient clipping, all over the model's flat buffers. */
package sparkcnn.models.optim;
