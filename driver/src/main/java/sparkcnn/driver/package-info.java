/** The Spark side: datasets, the distributed trainer, evaluation and scoring (to come). */
package sparkcnn.driver;
