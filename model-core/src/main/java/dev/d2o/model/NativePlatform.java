package dev.d2o.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The platforms the job runs on, checked before any native code loads. libtorch, DJL's JNI library
 * and the tokenizers library are native code; the application jar carries them for one platform
 * (linux-x86_64, or linux-aarch64 in the ARM jar), and on any other DJL would fail later with a
 * message about a missing download (the job runs with {@code ai.djl.offline=true}).
 */
public final class NativePlatform {
  /** The platforms d2o-spark builds for, in DJL's names ({@code os-arch}). */
  public static final List<String> SUPPORTED = List.of("linux-x86_64", "linux-aarch64");

  /** Where each DJL libtorch jar names its platform ({@code classifier=linux-x86_64}). */
  static final String LIBTORCH_PROPERTIES = "native/lib/pytorch.properties";

  private static volatile boolean checked;

  private NativePlatform() {}

  /**
   * Refuses to go on when this JVM's platform is not supported or its libtorch is not on the class
   * path; checks once per JVM.
   */
  public static void require() {
    if (checked) {
      return;
    }
    Optional<String> refusal = refusal();
    if (refusal.isPresent()) {
      throw new ModelException(refusal.get());
    }
    checked = true;
  }

  /** Why this JVM cannot run the job, if it cannot. */
  public static Optional<String> refusal() {
    return refusal(System.getProperty("os.name"), System.getProperty("os.arch"), bundled());
  }

  /**
   * Why a JVM with {@code os.name} and {@code os.arch} cannot run the job when the class path
   * carries libtorch for the {@code bundled} platforms (empty: none, as in the CUDA build, whose
   * libtorch comes from DJL's cache directory), if it cannot.
   */
  public static Optional<String> refusal(String osName, String osArch, Set<String> bundled) {
    String platform = classifier(osName, osArch);
    String found = "os.name = '" + osName + "', os.arch = '" + osArch + "'";
    if (!SUPPORTED.contains(platform)) {
      return Optional.of(
          "unsupported platform "
              + platform
              + " ("
              + found
              + "): d2o-spark runs on "
              + String.join(" and ", SUPPORTED)
              + " (Linux on x86_64/amd64 or aarch64/arm64), the platforms whose native libtorch,"
              + " DJL JNI and tokenizers libraries its application jars carry");
    }
    if (!bundled.isEmpty() && !bundled.contains(platform)) {
      return Optional.of(
          "this build carries libtorch for "
              + String.join(", ", new TreeSet<>(bundled))
              + " only, but runs on "
              + platform
              + " ("
              + found
              + "); use the application jar for "
              + platform
              + ": "
              + (platform.equals("linux-aarch64")
                  ? "d2o-spark-job-VERSION-app-linux-aarch64.jar (mvn -B package -Paarch64)"
                  : "d2o-spark-job-VERSION-app.jar"));
    }
    return Optional.empty();
  }

  /**
   * DJL's name of a platform: {@code linux}, {@code osx} or {@code win}, a dash, and {@code x86_64}
   * or {@code aarch64} (Java says {@code amd64} and, on macOS, sometimes {@code arm64}).
   */
  static String classifier(String osName, String osArch) {
    String os = osName == null ? "unknown" : osName.toLowerCase(Locale.ROOT);
    if (os.startsWith("linux")) {
      os = "linux";
    } else if (os.startsWith("mac") || os.startsWith("darwin")) {
      os = "osx";
    } else if (os.startsWith("windows")) {
      os = "win";
    } else {
      os = os.replaceAll("[^a-z0-9]", "");
    }
    String arch = osArch == null ? "unknown" : osArch.toLowerCase(Locale.ROOT);
    arch =
        switch (arch) {
          case "amd64", "x86_64", "x64" -> "x86_64";
          case "aarch64", "arm64" -> "aarch64";
          default -> arch;
        };
    return os + "-" + arch;
  }

  /**
   * The platforms of the libtorch jars on the class path, read from their {@code
   * native/lib/pytorch.properties} (the files DJL itself chooses its libtorch from).
   */
  static Set<String> bundled() {
    Set<String> platforms = new TreeSet<>();
    try {
      // the context loader, as DJL uses: on a Spark executor it is the one holding the app jar
      Enumeration<URL> files =
          Thread.currentThread().getContextClassLoader() != null
              ? Thread.currentThread().getContextClassLoader().getResources(LIBTORCH_PROPERTIES)
              : NativePlatform.class.getClassLoader().getResources(LIBTORCH_PROPERTIES);
      while (files.hasMoreElements()) {
        Properties p = new Properties();
        try (InputStream in = files.nextElement().openStream()) {
          p.load(in);
        }
        String classifier = p.getProperty("classifier");
        if (classifier != null && !classifier.isBlank()) {
          platforms.add(classifier.trim());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + LIBTORCH_PROPERTIES + " resources", e);
    }
    return platforms;
  }
}
