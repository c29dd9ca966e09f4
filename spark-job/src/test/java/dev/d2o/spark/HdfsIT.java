package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.cli.D2oCli;
import dev.d2o.spark.testing.Weights;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job with everything on HDFS (a MiniDFSCluster in this JVM): input, reference model and run
 * directory are {@code hdfs://127.0.0.1:PORT/} URIs. Anchors, checkpoints, a resume after a driver
 * crash and the final model work there as on local disk, and give the weights of the same run on
 * local disk.
 */
class HdfsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static MiniDFSCluster dfs;
  private static FileSystem fs;
  private static String root;

  @BeforeAll
  static void startHdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
    conf.set("dfs.replication", "1");
    dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    dfs.waitActive();
    root = "hdfs://127.0.0.1:" + dfs.getNameNodePort();
    fs = dfs.getFileSystem();
    Path repo = Path.of("..").toAbsolutePath().normalize();
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(repo.resolve("data-samples/negatives-sample.jsonl").toUri()),
        new org.apache.hadoop.fs.Path(root + "/data/negatives.jsonl"));
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(repo.resolve("data-samples/tiny-random-llama").toUri()),
        new org.apache.hadoop.fs.Path(root + "/models/tiny"));
  }

  @AfterAll
  static void stopHdfs() {
    if (dfs != null) {
      dfs.shutdown();
    }
  }

  private static String[] args(
      String command, String runDir, String input, String model, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                command,
                "--conf",
                "../conf/local.conf",
                "--set",
                "run.dir=" + runDir,
                "--set",
                "data.input=" + input,
                "--set",
                "model.path=" + model,
                "--set",
                "data.eval=",
                "--set",
                "eval.every=0",
                "--set",
                "run.master=local[2]",
                "--set",
                "anchors.maxNewTokens=8",
                "--set",
                "train.maxSteps=6",
                "--set",
                "train.checkpointEvery=2",
                "--set",
                "train.keepCheckpoints=2"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test
  void anchorsCheckpointsResumeAndTheFinalModelLiveOnHdfs() throws Exception {
    String run = root + "/runs/r1";
    String input = root + "/data/negatives.jsonl";
    String model = root + "/models/tiny";
    System.setProperty(
        "d2o.fault.driver", "3"); // a driver crash before step 4, after checkpoint-00000002
    try {
      assertEquals(1, D2oCli.run(args("run", run, input, model)));
    } finally {
      System.clearProperty("d2o.fault.driver");
    }
    assertTrue(exists(run + "/anchors/_SUCCESS"));
    assertTrue(exists(run + "/checkpoints/checkpoint-00000002/_COMPLETE"));
    assertFalse(exists(run + "/final"));
    assertFalse(exists(run + "/_LOCK"), "the crashed run released its lock");

    assertEquals(0, D2oCli.run(args("run", run, input, model, "--resume")));
    JsonNode summary = JSON.readTree(read(run + "/summary.json"));
    assertTrue(summary.get("anchors").asText().startsWith("reused hdfs://"), summary.toString());
    assertEquals(4, summary.get("steps").asInt(), "resumed from checkpoint-00000002: " + summary);
    assertEquals(6, read(run + "/metrics.jsonl").lines().count());
    assertTrue(exists(run + "/checkpoints/checkpoint-00000006/_COMPLETE"));
    assertFalse(exists(run + "/checkpoints/checkpoint-00000002"), "train.keepCheckpoints = 2");
    for (String f : List.of("model.safetensors", "config.json", "tokenizer.json")) {
      assertTrue(exists(run + "/final/" + f), f);
    }

    Path local = tmp.resolve("local-run");
    Path repo = Path.of("..").toAbsolutePath().normalize();
    assertEquals(
        0,
        D2oCli.run(
            args(
                "run",
                local.toString(),
                repo.resolve("data-samples/negatives-sample.jsonl").toString(),
                repo.resolve("data-samples/tiny-random-llama").toString())));
    Path fromHdfs = tmp.resolve("hdfs-final.safetensors");
    fs.copyToLocalFile(
        new org.apache.hadoop.fs.Path(run + "/final/model.safetensors"),
        new org.apache.hadoop.fs.Path(fromHdfs.toUri()));
    double diff = Weights.maxAbsDiff(local.resolve("final/model.safetensors"), fromHdfs);
    System.out.printf("HDFS (crash + resume) vs local disk: max |dw| = %.3g%n", diff);
    assertTrue(diff <= 1e-4, "max |dw| = " + diff);
    assertNotEquals(
        0.0,
        Weights.maxAbsDiff(
            fromHdfs, repo.resolve("data-samples/tiny-random-llama/model.safetensors")));
  }

  private static boolean exists(String p) throws Exception {
    return fs.exists(new org.apache.hadoop.fs.Path(p));
  }

  private static String read(String p) throws Exception {
    try (var in = fs.open(new org.apache.hadoop.fs.Path(p))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
