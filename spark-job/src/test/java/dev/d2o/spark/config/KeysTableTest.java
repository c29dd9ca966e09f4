package dev.d2o.spark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.cli.D2oCli;
import dev.d2o.config.Key;
import dev.d2o.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's table of configuration keys is the one the code declares, and no declared key is
 * missing from {@link Keys#ALL}, {@code bin/d2o keys} or the README.
 */
class KeysTableTest {
  @Test
  void readmeTableMatchesTheDeclaredKeys() throws Exception {
    assertEquals(KeysTable.markdown(), readmeTable(), "regenerate it with: bin/d2o keys");
  }

  @Test
  void everyDeclaredKeyIsListed() throws Exception {
    Set<String> all =
        Keys.ALL.stream().map(Key::name).collect(Collectors.toCollection(LinkedHashSet::new));
    Set<String> declared = new LinkedHashSet<>();
    for (Class<?> declaring : List.of(Keys.class, LoraKeys.class, EvalKeys.class)) {
      declared.addAll(names(declaring, ""));
    }
    for (String option : names(TrainConfig.class, Keys.TRAIN_PREFIX)) {
      // K and the data-order seed are set from anchors.numSamples and run.seed
      if (!option.equals("train." + TrainConfig.K.name())
          && !option.equals("train." + TrainConfig.SEED.name())) {
        declared.add(option);
      }
    }
    assertTrue(declared.size() > 40, "found the declarations: " + declared);
    assertEquals(declared, all, "the keys of Keys.ALL are the declared ones");
    String readme = readmeTable();
    String printed = keysCommandOutput();
    for (String name : declared) {
      String row = "| `" + name + "` |";
      assertTrue(all.contains(name), name + " is declared but not in Keys.ALL");
      assertTrue(printed.contains(row), name + " is missing from bin/d2o keys");
      assertTrue(readme.contains(row), name + " is missing from the README table");
    }
  }

  /** The names of the {@code public static final Key} constants of {@code type}, prefixed. */
  private static List<String> names(Class<?> type, String prefix) throws IllegalAccessException {
    List<String> out = new ArrayList<>();
    for (Field f : type.getFields()) {
      int m = f.getModifiers();
      if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == Key.class) {
        out.add(prefix + ((Key<?>) f.get(null)).name());
      }
    }
    return out;
  }

  private static String readmeTable() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    int begin = readme.indexOf(KeysTable.BEGIN);
    int end = readme.indexOf(KeysTable.END);
    assertTrue(
        begin >= 0 && end > begin, "README.md has the generated keys table between its markers");
    return readme.substring(begin + KeysTable.BEGIN.length(), end).strip() + "\n";
  }

  private static String keysCommandOutput() {
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      assertEquals(0, D2oCli.run("keys"));
    } finally {
      System.setOut(saved);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
