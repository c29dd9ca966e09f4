/**
 * The Spark ML API: a {@link dev.d2o.spark.ml.D2O} Estimator with typed Params whose {@code fit}
 * runs the pipeline and returns a {@link dev.d2o.spark.ml.D2OModel} Transformer that appends
 * generated responses; both save and load through MLlib's writer and reader.
 */
package dev.d2o.spark.ml;
