/**
 * Causal language models from Hugging Face checkpoints: configuration ({@link
 * dev.d2o.model.ModelConfig}), the GPT-2 and Llama-family forward passes ({@link
 * dev.d2o.model.CausalLM}), safetensors I/O, the tokenizer, and loading and saving a model
 * directory ({@link dev.d2o.model.Pretrained}). Depends on DJL only, never on Spark.
 */
package dev.d2o.model;
