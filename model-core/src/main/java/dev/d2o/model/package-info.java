/**
 * Causal language models from Hugging Face checkpoints. One file per model family ({@code
 * Gpt2Family}, {@code LlamaFamily}, {@code MistralFamily}, {@code Qwen2Family}, {@code
 * Qwen3Family}, {@code Gemma2Family}), registered by {@code model_type} in {@link
 * dev.d2o.model.ModelFamilies}: each parses its config into a {@link dev.d2o.model.ModelConfig},
 * declares its tensors ({@link dev.d2o.model.TensorLayout}) and runs its forward pass from the
 * shared blocks ({@code Attention} with the key/value cache and the mask, {@code Rotary}, {@code
 * Norms}, {@code Mlp}). Around them: the model ({@link dev.d2o.model.CausalLM}), LoRA adapters,
 * safetensors I/O, the tokenizer, and loading and saving a model directory ({@link
 * dev.d2o.model.Pretrained}). Depends on DJL only, never on Spark.
 */
package dev.d2o.model;
