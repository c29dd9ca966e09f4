#!/bin/bash
# Databricks cluster init script for GPU clusters (job-gpu.json), run once per node before Spark starts.
# Untested by the project (no GPU where it is built).
#
# Maven Central has no CUDA libtorch for DJL's PyTorch 2.7.1 (pytorch-native-cu128 does not exist; cu124 stops at
# 2.5.1), so the -Pcuda application jar carries no libtorch. pytorch-jni 2.7.1-0.36.0 inside the jar has the cu128
# JNI; this script lets DJL fetch the matching CUDA 12.8 libtorch once into the node-local DJL_CACHE_DIR, after
# which the job runs with -Dai.djl.offline=true.
set -euo pipefail
export DJL_CACHE_DIR=/local_disk0/djl-cache PYTORCH_FLAVOR=cu128
JAR="${D2O_APP_JAR:-/dbfs/d2o/jars/d2o-spark-job-0.1.0-SNAPSHOT-cuda-app.jar}"
mkdir -p "$DJL_CACHE_DIR"
# Any command that starts DJL's PyTorch engine downloads the libraries (publish.djl.ai) into DJL_CACHE_DIR.
java -Dai.djl.offline=false -DDJL_CACHE_DIR="$DJL_CACHE_DIR" -cp "$JAR" dev.d2o.cli.D2oCli \
  random-model --type llama --out /tmp/d2o-engine-warmup
rm -rf /tmp/d2o-engine-warmup
ls "$DJL_CACHE_DIR"/pytorch
