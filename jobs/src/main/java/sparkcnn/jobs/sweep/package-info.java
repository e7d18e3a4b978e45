/**
 * Hyperparameter sweeps: the search space (compound scaling, grid, random), the trial schedulers (run to the end,
 * asynchronous successive halving), the sweep's resumable state, inference cost, Pareto fronts and the report.
 */
package sparkcnn.jobs.sweep;
