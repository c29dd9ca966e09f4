/**
 * Storage through the Hadoop FileSystem API (run directories, atomic writes, model copies to local
 * disk) and the console that stage code prints its progress lines and tables through.
 */
package dev.d2o.spark.io;
