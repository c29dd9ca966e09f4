/**
 * Training with the D²O objective (Duan et al., arXiv:2403.03419). DJL only, never Spark.
 *
 * <ul>
 *   <li>{@link dev.d2o.train.Losses}: the objectives as pure functions of per-sequence log-prob
 *       tensors and a {@link dev.d2o.train.LossConfig}.
 *   <li>{@link dev.d2o.train.GradientComputer}: the gradient work on a shard of {@link
 *       dev.d2o.train.TrainExample} rows, a pure function of (weights version, rows), producing
 *       mergeable {@link dev.d2o.train.GradientSums}.
 *   <li>{@link dev.d2o.train.TrainerState}: the driver's update from the merged sums (non-finite
 *       skip, global-norm {@link dev.d2o.train.Clipping}, {@link dev.d2o.train.AdamW}, {@link
 *       dev.d2o.train.LrSchedule}).
 *   <li>{@link dev.d2o.train.Checkpoints} and {@link dev.d2o.train.CheckpointReader}: atomic,
 *       resumable checkpoints.
 *   <li>{@link dev.d2o.train.LocalTrainer}: the single-process reference trajectory.
 * </ul>
 *
 * <p>A distributed step uses the same pieces as {@link dev.d2o.train.LocalTrainer#step}:
 *
 * <pre>{@code
 * // executor, per partition, with a per-JVM cached replica at the broadcast version
 * if (computer.weightsVersion() != version) computer.setWeights(version, broadcastWeights);
 * GradientSums shard = computer.compute(rowsOfThisPartition);
 * // driver
 * GradientSums total = rdd.treeAggregate(GradientSums.zero(), add, GradientSums::merge);
 * StepResult result = state.apply(total, seconds);   // clip, AdamW, weightsVersion + 1
 * broadcast(state.weightsVersion(), state.weights());
 * }</pre>
 */
package dev.d2o.train;
