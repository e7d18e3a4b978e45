/**
 * The compute core: NCHW float32 tensors over flat arrays and the kernels that run on every executor
 * (GEMM, convolutions, pooling, normalization, activations, losses). Static methods over arrays and
 * offsets; scratch comes from per-thread buffers, so a steady-state call allocates nothing.
 */
package sparkcnn.kernels;
