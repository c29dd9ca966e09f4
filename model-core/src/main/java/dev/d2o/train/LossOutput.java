package dev.d2o.train;

import ai.djl.ndarray.NDArray;

/**
 * What a loss function returns, one entry per example. The reward metrics are always the D²O
 * quantities of ARCHITECTURE.md §2, whatever the loss type, so that runs of different {@code loss=}
 * settings plot on one axis.
 *
 * @param losses per-example losses (B); the training loss is their mean
 * @param margin z = (β/K)·ΣΔᵢ − α·Δ⁻ (B), the {@code rewards/margins} metric
 * @param rewardsAnchors β·meanᵢ Δᵢ (B), the {@code rewards/anchors} metric
 * @param rewardsNegative α·Δ⁻ (B), the {@code rewards/negative} metric
 */
public record LossOutput(
    NDArray losses, NDArray margin, NDArray rewardsAnchors, NDArray rewardsNegative) {}
