package dev.d2o.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * What the application jars carry (docs/cluster-jar.md): every bundled library is relocated under
 * {@code dev.d2o.shaded} except those listed here with the reason, no relocated reference dangles,
 * the ServiceLoader files name classes that exist, and the libtorch native matches the jar's
 * platform. Runs on every {@code *-app*.jar} the build made (the ARM jar too, with {@code
 * -Paarch64}).
 */
class AppJarIT {
  private static final String SHADED = "dev/d2o/shaded/";

  /** Third-party packages left as they are, with why (a test, not a comment, keeps this honest). */
  private static final Map<String, String> UNRELOCATED =
      Map.of(
          "ai/djl/",
          "libdjl_torch.so and libtokenizers.so bind their JNI functions to these class names; relocated,"
              + " JNI_OnLoad crashes the JVM (SIGSEGV in GetStaticFieldID)",
          "com/sun/jna/",
          "libjnidispatch binds to com.sun.jna.Native; relocated, Native's static initializer throws"
              + " UnsatisfiedLinkError and DJL's CUDA probe silently reports no GPU",
          "com/hubspot/jinjava/",
          "jinjava itself (chat templates): not a library clusters carry; its dependencies are relocated",
          "jinjava/",
          "jinjava's own shaded copies of javax.el and jsoup",
          "javax/annotation/",
          "JSR-305 annotation types (findbugs annotations): identical in every copy, never called");

  /**
   * Relocated names that may dangle, with why (for example: ai.djl:api excludes commons-compress's
   * commons-lang3 dependency (its pom), because DJL never calls what needs it (tar writing,
   * pack200). Unrelocated, these references went to whatever commons-lang3 the cluster had).
   */
  private static final Map<String, String> MAY_DANGLE =
      Map.of(
          SHADED + "org/apache/commons/lang3/",
          "commons-compress's commons-lang3, excluded by ai.djl:api",
          SHADED + "com/hubspot/immutables/style/",
          "jinjava's @HubSpotImmutableStyle, a compile-time annotation of the Immutables processor that"
              + " jinjava's pom does not ship (a missing annotation type is ignored by the JVM)");

  private static final Pattern SHADED_REF = Pattern.compile("dev/d2o/shaded/[A-Za-z0-9_/$-]+");

  @Test
  void everyBundledLibraryIsRelocatedAndNoRelocatedReferenceDangles() throws IOException {
    for (Path jar : appJars()) {
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        TreeSet<String> names = new TreeSet<>();
        zip.stream().forEach(e -> names.add(e.getName()));
        Map<String, Integer> unrelocated = new TreeMap<>();
        Map<String, String> dangling = new TreeMap<>();
        int relocated = 0;
        for (String name : names) {
          if (!name.endsWith(".class")) {
            continue;
          }
          String cls = name.replaceFirst("^META-INF/versions/[0-9]+/", "");
          if (cls.startsWith(SHADED)) {
            relocated++;
          } else if (!cls.startsWith("dev/d2o/") && !allowed(cls)) {
            unrelocated.merge(packageOf(cls), 1, Integer::sum);
          }
          for (String ref : shadedReferences(zip, zip.getEntry(name))) {
            // a class, a package or a resource (…/language/dmrules.txt is named without ".txt")
            boolean present = names.ceiling(ref) != null && names.ceiling(ref).startsWith(ref);
            if (!present && MAY_DANGLE.keySet().stream().noneMatch(ref::startsWith)) {
              dangling.putIfAbsent(ref, name);
            }
          }
        }
        assertTrue(
            unrelocated.isEmpty(),
            jar.getFileName()
                + " bundles packages without relocation (add a <relocation> to spark-job/pom.xml,"
                + " or list the package in AppJarIT with the reason): "
                + unrelocated);
        assertTrue(
            dangling.isEmpty(),
            jar.getFileName()
                + ": relocated names that no class in the jar carries (a relocated library that is"
                + " not bundled) -> referenced from: "
                + dangling);
        assertTrue(relocated > 500, "relocated classes in " + jar.getFileName() + ": " + relocated);
        for (String lib : List.of("picocli/CommandLine", "com/typesafe/config/ConfigFactory")) {
          assertTrue(names.contains(SHADED + lib + ".class"), lib + " in " + jar.getFileName());
          assertFalse(names.contains(lib + ".class"), lib + " unrelocated in " + jar);
        }
      }
    }
  }

  @Test
  void serviceFilesNameClassesThatExistAndDjlFindsItsEngine() throws IOException {
    for (Path jar : appJars()) {
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        List<String> services = new ArrayList<>();
        for (ZipEntry e : zip.stream().toList()) {
          String name = e.getName();
          if (!name.startsWith("META-INF/services/") || e.isDirectory()) {
            continue;
          }
          String service = name.substring("META-INF/services/".length());
          services.add(service);
          for (String impl : read(zip, e).lines().map(String::trim).toList()) {
            if (impl.isEmpty() || impl.startsWith("#")) {
              continue;
            }
            String cls = impl.replace('.', '/') + ".class";
            assertTrue(
                zip.getEntry(cls) != null,
                name + " in " + jar.getFileName() + " names " + impl + ", which is not in the jar");
          }
        }
        assertTrue(services.contains("ai.djl.engine.EngineProvider"), services.toString());
        assertTrue(
            read(zip, zip.getEntry("META-INF/services/ai.djl.engine.EngineProvider"))
                .contains("ai.djl.pytorch.engine.PtEngineProvider"));
      }
    }
  }

  @Test
  void theLibtorchNativeMatchesTheJarsPlatform() throws IOException {
    for (Path jar : appJars()) {
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        if (jar.getFileName().toString().endsWith("-cuda-app.jar")) {
          checkCudaJar(zip, jar.getFileName().toString());
          continue;
        }
        Properties p = new Properties();
        p.load(new java.io.StringReader(read(zip, zip.getEntry("native/lib/pytorch.properties"))));
        String classifier = p.getProperty("classifier");
        String expected =
            jar.getFileName().toString().contains("aarch64") ? "linux-aarch64" : "linux-x86_64";
        assertEquals(expected, classifier, jar.getFileName() + ": native/lib/pytorch.properties");
        for (String lib : p.getProperty("libraries").split(",")) {
          String entry = "pytorch/cpu/" + classifier + "/" + lib;
          assertTrue(zip.getEntry(entry) != null, entry + " in " + jar.getFileName());
        }
        String arch = classifier.substring("linux-".length());
        for (String jni :
            List.of(
                "jnilib/linux-" + arch + "/cpu/libdjl_torch.so",
                "native/lib/linux-" + arch + "/cpu/libtokenizers.so")) {
          assertTrue(zip.getEntry(jni) != null, jni + " in " + jar.getFileName());
        }
        long otherTorch =
            zip.stream()
                .filter(e -> e.getName().startsWith("pytorch/cpu/"))
                .filter(e -> !e.getName().startsWith("pytorch/cpu/" + classifier))
                .filter(e -> !e.isDirectory())
                .count();
        assertEquals(0, otherTorch, "libtorch of another platform in " + jar.getFileName());
      }
    }
  }

  /**
   * The -Pcuda jar carries no libtorch (the nodes' CUDA libtorch is loaded from
   * PYTORCH_LIBRARY_PATH), but the cu128 JNI and the tokenizers' native library.
   */
  private static void checkCudaJar(ZipFile zip, String name) {
    assertTrue(zip.getEntry("native/lib/pytorch.properties") == null, "CPU libtorch in " + name);
    assertEquals(
        0,
        zip.stream().filter(e -> e.getName().startsWith("pytorch/")).count(),
        "libtorch files in " + name);
    for (String lib :
        List.of(
            "jnilib/linux-x86_64/cu128/libdjl_torch.so",
            "native/lib/linux-x86_64/cpu/libtokenizers.so")) {
      assertTrue(zip.getEntry(lib) != null, lib + " in " + name);
    }
  }

  private static boolean allowed(String cls) {
    return UNRELOCATED.keySet().stream().anyMatch(cls::startsWith);
  }

  private static String packageOf(String cls) {
    int slash = cls.lastIndexOf('/');
    return slash < 0 ? "(default package)" : cls.substring(0, slash);
  }

  /** Names under dev/d2o/shaded/ in a class file's constant pool (class names, descriptors). */
  private static Set<String> shadedReferences(ZipFile zip, ZipEntry e) throws IOException {
    Set<String> refs = new TreeSet<>();
    try (InputStream in = zip.getInputStream(e)) {
      // ISO-8859-1 maps bytes 1:1; a constant pool entry ends at a tag byte (< 0x20) or ';' '<'
      Matcher m = SHADED_REF.matcher(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
      while (m.find()) {
        refs.add(m.group().replaceAll("/+$", ""));
      }
    }
    return refs;
  }

  private static String read(ZipFile zip, ZipEntry e) throws IOException {
    try (InputStream in = zip.getInputStream(e)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The application jars of this build ({@code d2o.appJar} and its siblings). */
  static List<Path> appJars() throws IOException {
    Path main = Path.of(System.getProperty("d2o.appJar", "target/missing-app.jar"));
    assertTrue(Files.isRegularFile(main), "no application jar " + main + ": run mvn verify");
    try (Stream<Path> files = Files.list(main.getParent())) {
      return files
          .filter(f -> f.getFileName().toString().matches(".*-app(-linux-[a-z0-9_]+)?\\.jar"))
          .sorted()
          .toList();
    }
  }
}
