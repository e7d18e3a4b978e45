/**
 * What users touch: the {@code bin/sparkcnn} command line (one class per command), job files and their
 * validation in {@code config}, reports and charts.
 */
package sparkcnn.jobs;
