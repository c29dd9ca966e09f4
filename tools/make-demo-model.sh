#!/usr/bin/env bash
# Trains the demo's reference model (data-samples/model) from scratch: an SFT corpus of 32 fresh generator
# answers per training prompt (bin/d2o make-sft), a random Llama-family model (width 256, 4 layers) with the
# project's tokenizer, then the pipeline's own sft stage (conf/sft.conf: 3,000 steps of batch 32, one pass over the corpus).
# Check it with bin/d2o generate ... --temperature 1 --max-new-tokens 48, then bin/d2o judge
# (data-samples/model/README.md has both commands and the measured numbers). Usage: tools/make-demo-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin/d2o make-sft --prompts data-samples/harmless/train.jsonl --out runs/sft-data/sft.jsonl --per-prompt 32 --seed 0
bin/d2o random-model --type llama --hidden 256 --layers 4 --heads 4 --context 128 --seed 0 \
  --tokenizer data-samples/tokenizer --out runs/sft-init
bin/d2o sft --conf conf/sft.conf --overwrite
rm -rf data-samples/model.new && cp -r runs/sft/final data-samples/model.new
cp data-samples/model/README.md data-samples/model.new/ 2>/dev/null || true
rm -rf data-samples/model && mv data-samples/model.new data-samples/model
echo "wrote data-samples/model"
