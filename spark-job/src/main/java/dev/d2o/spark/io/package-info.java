/**
 * Storage through the Hadoop FileSystem API: run directories, atomic writes, model copies to local
 * disk.
 */
package dev.d2o.spark.io;
