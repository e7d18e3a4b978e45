package sparkcnn.jobs;

import java.util.List;
import sparkcnn.driver.data.Source;
import sparkcnn.jobs.config.TrainJob;

/**
 * A data source named on the command line: a job file (its data.test section), or FORMAT:PATH with
 * idx:IMAGES,LABELS, folder:DIR, parquet:TABLE, image:DIR, binaryFile:DIR, and for segmentation segfolder:DIR (images/ and
 * masks/) or parquet:TABLE with a "mask" column.
 */
final class DataArgs {
  static final String FORMS = "JOB.yaml (its test data), idx:IMAGES,LABELS, folder:DIR, parquet:TABLE, image:DIR, "
      + "binaryFile:DIR, or for segmentation segfolder:DIR (images/ and masks/) or parquet:TABLE (with a mask column)";

  private DataArgs() {}

  static Source parse(String arg, String command) {
    if (arg.endsWith(".yaml") || arg.endsWith(".yml")) {
      TrainJob job = new TrainJob(arg, List.of());
      if (job.test == null) {
        throw new UsageException(command + ": " + arg + " has no data.test section");
      }
      return job.test;
    }
    int colon = arg.indexOf(':');
    if (colon <= 0) {
      throw new UsageException(command + ": --data: expected " + FORMS + ", got '" + arg + "'");
    }
    Source s = new Source();
    s.format = arg.substring(0, colon);
    String rest = arg.substring(colon + 1);
    if (!Source.FORMATS.contains(s.format) || s.format.equals("generated")) {
      throw new UsageException(command + ": --data: unknown format '" + s.format + "' (expected " + FORMS + ")");
    }
    if (s.format.equals("idx")) {
      String[] p = rest.split(",");
      if (p.length != 2) {
        throw new UsageException(command + ": --data idx: expected idx:IMAGES,LABELS, got '" + arg + "'");
      }
      s.path = p[0];
      s.labels = p[1];
    } else {
      s.path = rest;
    }
    return s;
  }
}
