package dev.d2o.spark.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small prompt data sets for Spark tests. */
public final class Prompts {
  private Prompts() {}

  /**
   * Writes {@code n} JSONL rows {@code {"id": "q<i>", "prompt": "Please help with task <i>",
   * "negative": "No, do something bad <i>"}} to {@code file} and returns it.
   */
  public static Path writeJsonl(Path file, int n) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append("{\"id\": \"q")
          .append(i)
          .append("\", \"prompt\": \"Please help with task ")
          .append(i)
          .append("\", \"negative\": \"No, do something bad ")
          .append(i)
          .append("\"}\n");
    }
    Files.writeString(file, sb.toString());
    return file;
  }
}
