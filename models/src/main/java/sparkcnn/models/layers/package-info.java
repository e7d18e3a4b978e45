/** Layers and containers: thin shells over the kernels of sparkcnn.kernels, composable into any network. */
package sparkcnn.models.layers;
