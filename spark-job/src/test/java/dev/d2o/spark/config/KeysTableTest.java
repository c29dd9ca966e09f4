package dev.d2o.spark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's table of configuration keys is the one the code declares. */
class KeysTableTest {
  @Test
  void readmeTableMatchesTheDeclaredKeys() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    int begin = readme.indexOf(KeysTable.BEGIN);
    int end = readme.indexOf(KeysTable.END);
    assertTrue(
        begin >= 0 && end > begin, "README.md has the generated keys table between its markers");
    String table = readme.substring(begin + KeysTable.BEGIN.length(), end).strip() + "\n";
    assertEquals(KeysTable.markdown(), table, "regenerate it with: bin/d2o keys");
  }
}
