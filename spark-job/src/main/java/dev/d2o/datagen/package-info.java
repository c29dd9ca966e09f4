/**
 * The project's own data: a deterministic generator of a small harmlessness domain (prompts with a
 * helpful and a harmful response), its output files, the class-cue check that shows no single word
 * gives the class away, and the exact judge ({@link dev.d2o.datagen.Judge}) that reads responses
 * with the generator's own grammar ({@link dev.d2o.datagen.HarmlessGrammar}).
 */
package dev.d2o.datagen;
