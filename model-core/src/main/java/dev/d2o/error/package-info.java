/**
 * The project's own errors, with one common base ({@link dev.d2o.error.D2oException}). A leaf
 * package: it depends on nothing else in the project, so every other package (in both modules) may
 * throw these.
 */
package dev.d2o.error;
