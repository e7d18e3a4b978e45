/**
 * The Spark side: Spark settings and Kryo registration here; datasets and augmentation in {@code data},
 * distributed training, evaluation and checkpoints in {@code train}, batch scoring in {@code score},
 * end-to-end benchmarks in {@code bench}.
 */
package sparkcnn.driver;
