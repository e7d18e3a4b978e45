/** Layers, containers, the architecture zoo, optimizers, the single-JVM trainer and checkpoints (to come). */
package sparkcnn.models;
