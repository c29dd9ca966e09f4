/**
 * Input data: schema checks, rejected rows (counted and written, never dropped silently), stable
 * row ids.
 */
package dev.d2o.spark.data;
