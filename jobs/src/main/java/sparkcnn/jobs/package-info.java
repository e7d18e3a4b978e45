/** What users touch: the {@code bin/sparkcnn} command line and, later, job definitions and reports. */
package sparkcnn.jobs;
