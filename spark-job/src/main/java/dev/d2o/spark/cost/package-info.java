/**
 * The harmfulness cost model of the evaluate stage (a Spark MLlib text classifier trained on the
 * generated labeled responses) and the helpfulness proxy.
 */
package dev.d2o.spark.cost;
