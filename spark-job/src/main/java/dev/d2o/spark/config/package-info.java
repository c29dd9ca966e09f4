/**
 * The job's configuration: every key declared once with its default, validator and doc ({@link
 * dev.d2o.spark.config.Keys}), loaded from a HOCON file plus {@code --set} overrides and validated
 * at load.
 */
package dev.d2o.spark.config;
