/**
 * The configuration vocabulary shared by both modules: a typed {@link dev.d2o.config.Key} declares
 * an option once (name, type, default, allowed values, validator, resume relevance, doc), and a
 * {@link dev.d2o.config.KeyRegistry} lists a configuration's keys in declaration order.
 * model-core's training options and the Spark job's keys are both declared with it.
 */
package dev.d2o.config;
