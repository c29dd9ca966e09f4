#!/usr/bin/env bash
# Trains the demo's reference model (data-samples/model) from scratch: a random Llama-family model with the
# project's tokenizer, then the pipeline's own sft stage on data-samples/harmless/sft.jsonl (conf/sft.conf).
# About 2-3 minutes on 2 cores. Usage: tools/make-demo-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin/d2o random-model --type llama --hidden 128 --layers 4 --heads 4 --context 128 --seed 0 \
  --tokenizer data-samples/tokenizer --out runs/sft-init
bin/d2o sft --conf conf/sft.conf --overwrite
rm -rf data-samples/model.new && cp -r runs/sft/final data-samples/model.new
cp data-samples/model/README.md data-samples/model.new/ 2>/dev/null || true
rm -rf data-samples/model && mv data-samples/model.new data-samples/model
echo "wrote data-samples/model"
