/**
 * The project's own data: a deterministic generator of a small harmlessness domain (prompts with a
 * helpful and a harmful response), its output files, and the class-cue check that shows no single
 * word gives the class away.
 */
package dev.d2o.datagen;
