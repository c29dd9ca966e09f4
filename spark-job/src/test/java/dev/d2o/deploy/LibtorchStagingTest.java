package dev.d2o.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/gpu/stage-libtorch-cuda.sh}, the GPU nodes' libtorch from storage (a Databricks
 * init script, an EMR bootstrap action), run here on small stand-in archives: it refuses an archive
 * whose SHA-256 is not the pinned one, naming both, refuses an archive that is not a CUDA libtorch,
 * unpacks a good one where PYTORCH_LIBRARY_PATH points, and does nothing the second time. It needs
 * no internet: no line of it downloads from the web. The real libtorch is not run here (no GPU).
 */
class LibtorchStagingTest {
  private static final Path SCRIPT = DeployFilesTest.path("gpu/stage-libtorch-cuda.sh");
  @TempDir Path tmp;

  @Test
  void theChecksumIsPinnedAndNothingIsDownloadedFromTheWeb() throws Exception {
    String text = Files.readString(SCRIPT);
    assertTrue(
        Pattern.compile("(?m)^PINNED_SHA256=[0-9a-f]{64}$").matcher(text).find(),
        "a pinned SHA-256");
    for (String line : text.split("\n")) {
      if (!line.strip().startsWith("#")) {
        assertFalse(line.matches(".*(https?://|curl |wget ).*"), "downloads: " + line);
      }
    }
  }

  @Test
  void anArchiveWithAnotherChecksumIsRefusedNamingBoth() throws Exception {
    Path zip = archive("cuda.zip", "libtorch/lib/libtorch_cuda.so");
    String pinned = Files.readString(SCRIPT).split("PINNED_SHA256=", 2)[1].substring(0, 64);
    Result r = run(Map.of(), zip.toString(), tmp.resolve("dest").toString());
    assertEquals(1, r.status(), r.output());
    assertEquals(
        "stage-libtorch-cuda: "
            + zip
            + " has SHA-256 "
            + sha256(zip)
            + ", expected "
            + pinned
            + " (LIBTORCH_SHA256); not staged",
        r.output().strip());
    assertFalse(Files.exists(tmp.resolve("dest")));
  }

  @Test
  void aGoodArchiveIsUnpackedOnceWherePytorchLibraryPathPoints() throws Exception {
    Path zip = archive("cuda.zip", "libtorch/lib/libtorch_cuda.so");
    Path dest = tmp.resolve("libtorch-2.7.1-cu128");
    Map<String, String> env =
        Map.of("LIBTORCH_SHA256", sha256(zip), "LIBTORCH_ARCHIVE", zip.toString());
    Result first = run(env, "", dest.toString());
    assertEquals(0, first.status(), first.output());
    assertTrue(Files.isRegularFile(dest.resolve("libtorch/lib/libtorch_cuda.so")));
    assertTrue(Files.isRegularFile(dest.resolve(".complete")));
    Result again = run(env, "", dest.toString());
    assertEquals(0, again.status());
    assertEquals("libtorch already staged in " + dest, again.output().strip());
  }

  @Test
  void anArchiveThatIsNotACudaLibtorchIsRefused() throws Exception {
    Path zip = archive("cpu.zip", "libtorch/lib/libtorch_cpu.so");
    Path dest = tmp.resolve("dest");
    Result r = run(Map.of("LIBTORCH_SHA256", sha256(zip)), zip.toString(), dest.toString());
    assertEquals(1, r.status(), r.output());
    assertEquals(
        "stage-libtorch-cuda: "
            + zip
            + " holds no libtorch/lib/libtorch_cuda.so: not a CUDA libtorch",
        r.output().strip());
    assertFalse(Files.exists(dest));
  }

  private record Result(int status, String output) {}

  private Result run(Map<String, String> env, String archive, String dest) throws Exception {
    List<String> cmd =
        archive.isEmpty()
            ? List.of("bash", SCRIPT.toString(), "", dest)
            : List.of("bash", SCRIPT.toString(), archive, dest);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    return new Result(p.waitFor(), out);
  }

  private Path archive(String name, String entry) throws Exception {
    Path zip = tmp.resolve(name);
    try (OutputStream os = Files.newOutputStream(zip);
        ZipOutputStream z = new ZipOutputStream(os)) {
      z.putNextEntry(new ZipEntry(entry));
      z.write("not really a shared library".getBytes());
      z.closeEntry();
    }
    return zip;
  }

  private static String sha256(Path p) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }
}
