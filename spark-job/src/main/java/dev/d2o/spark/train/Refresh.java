package dev.d2o.spark.train;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.Groups;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.anchors.AnchorBuilder;
import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.spark.anchors.AnchorsStage;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.RunDir;
import dev.d2o.train.TrainExample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.DoubleAccumulator;

/**
 * The two options that change the training rows during a run (ARCHITECTURE.md section 2): {@code
 * reference.updateEvery} (the policy becomes the reference: every row's reference log-probs are
 * recomputed with the current weights) and {@code anchors.refreshEvery} (every row gets new anchors
 * sampled from the current policy, scored under the reference). Both run on the executors with the
 * cached replicas, over canonical groups of consecutive ids (as the anchors stage cuts them), so
 * the new rows do not depend on partitioning.
 *
 * <p>The new rows are written to {@code train-rows/step-NNNNNNNN/} (Parquet, the anchors table's
 * schema) and read back from there, and each later checkpoint names them. That is all a resumed run
 * needs: the reference enters training only through the rows' reference log-probs, and anchors are
 * refreshed only at a reference update or under the frozen reference (the configuration refuses
 * other combinations), so the reference model itself is never needed again.
 */
final class Refresh {
  /** Where the rows made at a step are saved, relative to the run directory. */
  static final String ROWS = "train-rows";

  private final SparkSession spark;
  private final JobConfig cfg;
  private final RunDir run;
  private final ReplicaSpec spec;
  private final StepTimes times;
  private final int referenceEvery;
  private final int anchorsEvery;
  private PromptRenderer renderer; // resolved at the first anchor refresh

  Refresh(TrainContext context) {
    this.spark = context.spark();
    this.cfg = context.cfg();
    this.run = context.run();
    this.spec = context.spec();
    this.times = context.times();
    this.referenceEvery = cfg.get(Keys.REFERENCE_UPDATE_EVERY);
    this.anchorsEvery = cfg.get(Keys.ANCHORS_REFRESH_EVERY);
  }

  /**
   * New rows for {@code step} when an option is due at this step (new anchors and/or reference
   * log-probs, computed at {@code published}), else empty.
   */
  Optional<TrainData<AnchoredExample>> refreshed(
      TrainData<AnchoredExample> data, long step, BroadcastWeights published) {
    boolean newAnchors = due(anchorsEvery, step);
    boolean updateReference = due(referenceEvery, step);
    if (!newAnchors && !updateReference) {
      return Optional.empty();
    }
    long t0 = System.nanoTime();
    JavaRDD<Row> rebuilt;
    if (newAnchors) {
      spark
          .sparkContext()
          .setJobDescription("d2o train step " + step + ": new anchors from the policy");
      JobConfig seeded = cfg.with(Keys.RUN_SEED, cfg.get(Keys.RUN_SEED) + (int) step);
      if (renderer == null) {
        renderer = PromptFormats.resolve(cfg, spark.sparkContext().hadoopConfiguration());
      }
      AnchorsStage.Spec anchors =
          AnchorsStage.spec(spark, seeded, cfg.get(Keys.MODEL_PATH), renderer);
      rebuilt =
          Groups.byPosition(data.rows(), anchors.batchSize(), 0)
              .flatMap(
                  newAnchors(
                      spec, anchors, published, updateReference, times.generate(), times.refLogp()))
              .map(AnchorRow::toRow);
    } else {
      spark.sparkContext().setJobDescription("d2o train step " + step + ": reference <- policy");
      rebuilt =
          Groups.byPosition(data.rows(), spec.chunk(), 0)
              .flatMap(updateReference(spec, published, times.refLogp()))
              .map(AnchorRow::toRow);
    }
    String dir = String.format(Locale.ROOT, "%s/step-%08d", ROWS, step);
    spark
        .createDataFrame(rebuilt, AnchorRow.SCHEMA)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(run.path(dir).toString());
    TrainData<AnchoredExample> next = resumed(data, dir);
    times.put("refresh", StepTimes.since(t0));
    return Optional.of(next);
  }

  /** {@code data} with the rows an earlier attempt saved under {@code dir} (resume). */
  TrainData<AnchoredExample> resumed(TrainData<AnchoredExample> data, String dir) {
    return data.replace(TrainData.examples(spark.read().parquet(run.path(dir).toString())), dir);
  }

  /**
   * Deletes the saved training rows that none of the {@code kept} checkpoints (names, oldest first)
   * starts from. Checkpoint c starts step c with the rows saved last at a step ≤ c − 1 (step r's
   * rows are made before step r's gradient), so every save older than the rows of the oldest kept
   * checkpoint goes.
   */
  static void pruneRows(RunDir run, List<String> kept) throws IOException {
    Path rows = run.path(ROWS);
    FileSystem fs = rows.getFileSystem(run.conf());
    if (kept.isEmpty() || !fs.exists(rows)) {
      return;
    }
    long oldest = Long.parseLong(kept.get(0).substring("checkpoint-".length()));
    List<Long> saved = new ArrayList<>();
    for (FileStatus s : fs.listStatus(rows, p -> p.getName().startsWith("step-"))) {
      saved.add(Long.parseLong(s.getPath().getName().substring("step-".length())));
    }
    long needed = saved.stream().filter(r -> r <= oldest - 1).max(Long::compare).orElse(-1L);
    for (long r : saved) {
      if (r < needed) {
        fs.delete(run.path(String.format(Locale.ROOT, "%s/step-%08d", ROWS, r)), true);
      }
    }
  }

  private static boolean due(int every, long step) {
    return step > 0 && every > 0 && step % every == 0;
  }

  /** A group's rows with reference log-probs from the current policy (π_ref ← π_θ). */
  static FlatMapFunction<List<AnchoredExample>, AnchorRow> updateReference(
      ReplicaSpec spec, BroadcastWeights weights, DoubleAccumulator seconds) {
    return group -> {
      List<TrainExample> examples = group.stream().map(AnchoredExample::example).toList();
      float[][] logps =
          spec.replica()
              .withModel(
                  spec.runId(),
                  weights.version(),
                  weights,
                  view -> {
                    long t0 = System.nanoTime();
                    float[][] l = view.computer().sequenceLogps(examples);
                    seconds.add(StepTimes.since(t0));
                    return l;
                  });
      List<AnchorRow> out = new ArrayList<>(group.size());
      for (int i = 0; i < group.size(); i++) {
        int k = examples.get(i).k();
        double[] ref = new double[k];
        for (int j = 0; j < k; j++) {
          ref[j] = logps[i][j];
        }
        out.add(group.get(i).withReference(ref, logps[i][k]).toAnchorRow());
      }
      return out.iterator();
    };
  }

  /**
   * A group's rows with K new anchors sampled from the current policy (seeded by run seed + step,
   * per row id and anchor), scored under the frozen reference, or under the current policy when the
   * reference is updated at this step too.
   */
  static FlatMapFunction<List<AnchoredExample>, AnchorRow> newAnchors(
      ReplicaSpec spec,
      AnchorsStage.Spec anchors,
      BroadcastWeights weights,
      boolean referenceIsPolicy,
      DoubleAccumulator generateSeconds,
      DoubleAccumulator scoreSeconds) {
    return group -> {
      List<AnchorBuilder.Input> inputs =
          group.stream()
              .map(
                  a ->
                      new AnchorBuilder.Input(
                          a.example().id(), a.prompt(), a.negative(), a.conversation()))
              .toList();
      Pretrained frozen = anchors.reference();
      List<AnchorRow> built =
          spec.replica()
              .withModel(
                  spec.runId(),
                  weights.version(),
                  weights,
                  policy -> {
                    AnchorBuilder builder =
                        anchors.builder(
                            policy.model(),
                            referenceIsPolicy ? policy.model() : frozen.model(),
                            policy.tokenizer());
                    List<AnchorRow> rows = builder.build(inputs);
                    generateSeconds.add(builder.generateSeconds());
                    scoreSeconds.add(builder.scoreSeconds());
                    return rows;
                  });
      return built.iterator();
    };
  }
}
