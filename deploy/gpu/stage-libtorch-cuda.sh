#!/bin/bash
# Stages PyTorch's own libtorch 2.7.1 for CUDA 12.8 on a GPU node, from storage the cluster already reaches (a Unity
# Catalog volume on Databricks, S3 on EMR): no internet. The -Pcuda application jar carries no libtorch (Maven Central
# has no CUDA libtorch for 2.7.1); DJL loads this one through PYTORCH_LIBRARY_PATH, PYTORCH_VERSION=2.7.1 and
# PYTORCH_FLAVOR=cu128, with the cu128 JNI that pytorch-jni 2.7.1-0.36.0 (inside the jar) carries.
#
#   Databricks: a cluster init script (job-gpu.json, init_scripts.volumes); the archive comes from LIBTORCH_ARCHIVE.
#   EMR:        a bootstrap action (GPU=1 emr/create-cluster.sh) with the archive's s3:// URI as the first argument.
#
#   stage-libtorch-cuda.sh [ARCHIVE] [DEST]
#     ARCHIVE  libtorch-cxx11-abi-shared-with-deps-2.7.1+cu128.zip: a local or FUSE path, or s3:// (aws s3 cp)
#              (default $LIBTORCH_ARCHIVE)
#     DEST     where it is unpacked; PYTORCH_LIBRARY_PATH is DEST/libtorch/lib (default $LIBTORCH_DEST, else
#              /local_disk0/libtorch-2.7.1-cu128 on Databricks, /mnt/libtorch-2.7.1-cu128 elsewhere)
#
# The archive must have the SHA-256 pinned below (LIBTORCH_SHA256 overrides it for a different build): the value
# that public build files (CMake and install scripts of other projects) pin for https://download.pytorch.org/libtorch/cu128/libtorch-cxx11-abi-shared-with-deps-2.7.1%2Bcu128.zip.
# The project could not download the archive to check it (no internet where it is built); a mismatch stops the node
# with both checksums, so a wrong pin fails loudly rather than loading an unknown library. Not run by the project
# (no GPU where it is built); LibtorchStagingTest runs it on small stand-in archives.
set -euo pipefail
PINNED_SHA256=ae513b437ae99150744ef1d06b02a4ecbbb9275c9ffe540c88909623e3293041
SHA256="${LIBTORCH_SHA256:-$PINNED_SHA256}"
ARCHIVE="${1:-${LIBTORCH_ARCHIVE:?set LIBTORCH_ARCHIVE or pass the archive as the first argument}}"
if [[ -d /local_disk0 ]]; then DEFAULT_DEST=/local_disk0/libtorch-2.7.1-cu128; else DEFAULT_DEST=/mnt/libtorch-2.7.1-cu128; fi
DEST="${2:-${LIBTORCH_DEST:-$DEFAULT_DEST}}"

if [[ -f "$DEST/.complete" ]]; then
  echo "libtorch already staged in $DEST"
  exit 0
fi
mkdir -p "$(dirname "$DEST")"
WORK="$(mktemp -d "$DEST.tmp.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [[ "$ARCHIVE" == s3://* ]]; then
  aws s3 cp --only-show-errors "$ARCHIVE" "$WORK/libtorch.zip"
else
  cp "$ARCHIVE" "$WORK/libtorch.zip"
fi
actual="$(sha256sum "$WORK/libtorch.zip" | cut -d' ' -f1)"
if [[ "$actual" != "$SHA256" ]]; then
  echo "stage-libtorch-cuda: $ARCHIVE has SHA-256 $actual, expected $SHA256 (LIBTORCH_SHA256); not staged" >&2
  exit 1
fi
if command -v unzip >/dev/null 2>&1; then
  unzip -q "$WORK/libtorch.zip" -d "$WORK/out"
else
  python3 -m zipfile -e "$WORK/libtorch.zip" "$WORK/out"
fi
if [[ ! -f "$WORK/out/libtorch/lib/libtorch_cuda.so" ]]; then
  echo "stage-libtorch-cuda: $ARCHIVE holds no libtorch/lib/libtorch_cuda.so: not a CUDA libtorch" >&2
  exit 1
fi
rm -rf "$DEST"
mv "$WORK/out" "$DEST"
echo "$SHA256  $ARCHIVE" > "$DEST/.complete"
echo "libtorch 2.7.1+cu128 staged in $DEST (PYTORCH_LIBRARY_PATH=$DEST/libtorch/lib)"
