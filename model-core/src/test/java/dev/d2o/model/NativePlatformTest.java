package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The start-up platform check, as a pure function of os.name, os.arch and the bundled natives. */
class NativePlatformTest {
  private static final Set<String> X86 = Set.of("linux-x86_64");
  private static final Set<String> ARM = Set.of("linux-aarch64");

  @Test
  void javasNamesMapToDjlsClassifiers() {
    assertEquals("linux-x86_64", NativePlatform.classifier("Linux", "amd64"));
    assertEquals("linux-aarch64", NativePlatform.classifier("Linux", "aarch64"));
    assertEquals("osx-aarch64", NativePlatform.classifier("Mac OS X", "aarch64"));
    assertEquals("osx-aarch64", NativePlatform.classifier("Mac OS X", "arm64"));
    assertEquals("win-x86_64", NativePlatform.classifier("Windows 11", "amd64"));
    assertEquals("linux-ppc64le", NativePlatform.classifier("Linux", "ppc64le"));
    assertEquals("sunos-sparcv9", NativePlatform.classifier("SunOS", "sparcv9"));
  }

  @Test
  void supportedPlatformsWithTheirLibtorchRun() {
    assertEquals(Optional.empty(), NativePlatform.refusal("Linux", "amd64", X86));
    assertEquals(Optional.empty(), NativePlatform.refusal("Linux", "aarch64", ARM));
    assertEquals(
        Optional.empty(),
        NativePlatform.refusal("Linux", "aarch64", Set.of("linux-x86_64", "linux-aarch64")));
    // no libtorch on the class path (the CUDA build loads it from DJL's cache): only the OS counts
    assertEquals(Optional.empty(), NativePlatform.refusal("Linux", "aarch64", Set.of()));
  }

  @Test
  void anUnsupportedPlatformIsRefusedNamingWhatWasFoundAndWhatIsSupported() {
    assertEquals(
        "unsupported platform osx-aarch64 (os.name = 'Mac OS X', os.arch = 'aarch64'): d2o-spark"
            + " runs on linux-x86_64 and linux-aarch64 (Linux on x86_64/amd64 or aarch64/arm64),"
            + " the platforms whose native libtorch, DJL JNI and tokenizers libraries its"
            + " application jars carry",
        NativePlatform.refusal("Mac OS X", "aarch64", X86).orElseThrow());
    assertTrue(
        NativePlatform.refusal("Windows 11", "amd64", X86)
            .orElseThrow()
            .startsWith(
                "unsupported platform win-x86_64 (os.name = 'Windows 11', os.arch = 'amd64')"));
    assertTrue(
        NativePlatform.refusal("Linux", "ppc64le", Set.of())
            .orElseThrow()
            .startsWith("unsupported platform linux-ppc64le (os.name = 'Linux', os.arch ="));
  }

  @Test
  void anArmNodeWithTheX86JarIsToldWhichJarToUse() {
    assertEquals(
        "this build carries libtorch for linux-x86_64 only, but runs on linux-aarch64 (os.name ="
            + " 'Linux', os.arch = 'aarch64'); use the application jar for linux-aarch64:"
            + " d2o-spark-job-VERSION-app-linux-aarch64.jar (mvn -B package -Paarch64)",
        NativePlatform.refusal("Linux", "aarch64", X86).orElseThrow());
    assertEquals(
        "this build carries libtorch for linux-aarch64 only, but runs on linux-x86_64 (os.name ="
            + " 'Linux', os.arch = 'amd64'); use the application jar for linux-x86_64:"
            + " d2o-spark-job-VERSION-app.jar",
        NativePlatform.refusal("Linux", "amd64", ARM).orElseThrow());
  }

  @Test
  void theClassPathsLibtorchIsReadFromItsPropertiesAndThisMachinePasses() {
    assertTrue(
        NativePlatform.bundled().contains("linux-x86_64"), NativePlatform.bundled().toString());
    assertEquals(Optional.empty(), NativePlatform.refusal(), "this machine is linux-x86_64");
    NativePlatform.require();
  }
}
