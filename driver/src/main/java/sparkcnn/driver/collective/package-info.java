/**
 * Peer-to-peer collectives between Spark barrier tasks, in pure Java over NIO sockets: the ring all-reduce
 * ({@link sparkcnn.driver.collective.Ring}) in buckets ({@link sparkcnn.driver.collective.RingLayout}) over a
 * model's flat buffers ({@link sparkcnn.driver.collective.SplitVector}).
 */
package sparkcnn.driver.collective;
