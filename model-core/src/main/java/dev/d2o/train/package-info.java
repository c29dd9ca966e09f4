/**
 * Training with the D²O objective (Duan et al., arXiv:2403.03419): the losses as pure functions of per-sequence
 * log-prob tensors ({@link dev.d2o.train.Losses}), the pure gradient work over a batch of rows
 * ({@link dev.d2o.train.GradientComputer} producing mergeable {@link dev.d2o.train.GradientSums}), the driver-side
 * update ({@link dev.d2o.train.TrainerState}: global-norm clipping, {@link dev.d2o.train.AdamW}, the learning-rate
 * schedule, non-finite skips), atomic resumable {@link dev.d2o.train.Checkpoints}, and the single-process reference
 * trainer {@link dev.d2o.train.LocalTrainer} that the distributed trainer must match. DJL only, never Spark.
 */
package dev.d2o.train;
