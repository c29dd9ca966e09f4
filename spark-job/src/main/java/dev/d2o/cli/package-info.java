/**
 * The {@code d2o} command line: one picocli command with a subcommand per stage or tool. {@code
 * bin/d2o} runs it from the built project; the same main class runs under {@code spark-submit}.
 */
package dev.d2o.cli;
