/**
 * Networks in one JVM: the {@link sparkcnn.models.Layer} contract, the {@link sparkcnn.models.Model} that owns
 * the flat parameter, gradient and state buffers, the single-JVM {@link sparkcnn.models.Trainer} (the reference
 * the Spark trainer must reproduce) and the {@link sparkcnn.models.Checkpoint} format.
 */
package sparkcnn.models;
