#!/usr/bin/env bash
# Submits the d2o application jar with what the job needs on any Spark cluster (standalone, YARN, Kubernetes):
# the Java 17 module openings for driver and executors, DJL offline with a native cache directory, and libtorch
# thread counts that match spark.task.cpus.
#
#   deploy/spark-submit.sh [spark-submit options ...] -- <d2o command> [d2o options ...]
#   deploy/spark-submit.sh --master spark://host:7077 --executor-memory 8g -- run --conf cluster.conf --resume
#
# Environment (all optional):
#   SPARK_SUBMIT    the spark-submit to run (default: $SPARK_HOME/bin/spark-submit, else spark-submit on PATH)
#   D2O_JAR         the application jar (default: spark-job/target/d2o-spark-job-*-app.jar of this checkout)
#   D2O_TASK_CPUS   cores per task = libtorch threads per task (default 1); executors run one training task at
#                   a time per JVM, so give executors spark.executor.cores = D2O_TASK_CPUS
#   DJL_CACHE_DIR   where DJL unpacks libtorch on each node (default /tmp/d2o-djl-cache; ~430 MB, once per node)
#   D2O_MAX_RESULT_SIZE  spark.driver.maxResultSize (default 4g): each of the G gradient tasks of a step returns
#                   4 bytes per trainable parameter (G = executors; the job checks the setting at start-up)
#   MALLOC_ARENA_MAX  glibc's malloc arenas for the driver and the executors (default 2, as bin/d2o sets it:
#                   libtorch's freed tensors otherwise stay resident in up to 8 arenas per core; docs/scaling.md)
#   MALLOC_MMAP_THRESHOLD_  passed to the driver and the executors when set (131072: less memory, slower steps)
#   D2O_DRY_RUN=1   print the command instead of running it
#
# The main class is dev.d2o.cli.SparkMain, which returns normally on success and throws on failure (never
# System.exit: YARN's ApplicationMaster records that as a failed early exit and starts another attempt). Every
# --conf here can be overridden by the same --conf among the spark-submit options, which come later.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

spark_opts=()
while (($#)) && [[ "$1" != "--" ]]; do spark_opts+=("$1"); shift; done
if (($# == 0)); then
  echo "usage: $0 [spark-submit options ...] -- <d2o command> [options ...]" >&2
  exit 2
fi
shift # the --

if [[ -z "${D2O_JAR:-}" ]]; then
  D2O_JAR="$(ls "$ROOT"/spark-job/target/d2o-spark-job-*-app.jar 2>/dev/null | head -1 || true)"
  [[ -n "$D2O_JAR" ]] || { echo "d2o: no application jar; build it with: mvn -B package -DskipTests" >&2; exit 2; }
fi
if [[ -z "${SPARK_SUBMIT:-}" ]]; then
  if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"
  else SPARK_SUBMIT=spark-submit; fi
fi
TASK_CPUS="${D2O_TASK_CPUS:-1}"
CACHE="${DJL_CACHE_DIR:-/tmp/d2o-djl-cache}"
ARENAS="${MALLOC_ARENA_MAX:-2}"

# Spark on Java 17 needs the module openings its own launcher adds (kept for older launchers and custom images).
OPENS=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
    java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  OPENS+=" --add-opens=java.base/$p=ALL-UNNAMED"
done
# A missing native library fails at once instead of trying a download; libtorch threads = the task's cores.
DJL_OPTS="-Dai.djl.offline=true -DDJL_CACHE_DIR=$CACHE -Dai.djl.pytorch.num_threads=$TASK_CPUS"
DJL_OPTS+=" -Dai.djl.pytorch.num_interop_threads=1"

# glibc's allocator for the executors, the driver in YARN cluster mode (its ApplicationMaster) and on Kubernetes; a
# driver in client mode is this process's child and inherits the exports below
malloc_opts=()
for var in MALLOC_ARENA_MAX MALLOC_MMAP_THRESHOLD_; do
  value="${!var:-}"
  [[ "$var" == MALLOC_ARENA_MAX ]] && value="$ARENAS"
  [[ -n "$value" ]] || continue
  for prefix in spark.executorEnv spark.yarn.appMasterEnv spark.kubernetes.driverEnv; do
    malloc_opts+=(--conf "$prefix.$var=$value")
  done
done

cmd=("$SPARK_SUBMIT"
  --class dev.d2o.cli.SparkMain
  --conf "spark.task.cpus=$TASK_CPUS"
  --conf "spark.driver.extraJavaOptions=${OPENS# } $DJL_OPTS ${D2O_DRIVER_JAVA_OPTS:-}"
  --conf "spark.executor.extraJavaOptions=${OPENS# } $DJL_OPTS ${D2O_EXECUTOR_JAVA_OPTS:-}"
  # YARN client mode's ApplicationMaster (in cluster mode the driver's options apply to it)
  --conf "spark.yarn.am.extraJavaOptions=${OPENS# }"
  --conf "spark.driver.maxResultSize=${D2O_MAX_RESULT_SIZE:-4g}"
  # the weights broadcast is random floats: compressing them costs time on the driver and every executor, saves nothing
  --conf "spark.broadcast.compress=false"
  # a gradient result (4 bytes per trainable weight) returns with its task's status update, up to Spark's 2 GB message
  # limit, instead of a round trip through the executor's block manager (larger results still take that path)
  --conf "spark.rpc.message.maxSize=2047"
  --conf "spark.task.maxDirectResultSize=2000m"
  # libtorch's tensors live outside the JVM heap: give containers (YARN, Kubernetes) room beyond it
  --conf "spark.executor.memoryOverheadFactor=0.4"
  # idle executors would be released with their cached models (EMR turns dynamic allocation on by default)
  --conf "spark.dynamicAllocation.enabled=false"
  --conf "spark.executorEnv.DJL_CACHE_DIR=$CACHE"
  --conf "spark.executorEnv.OMP_NUM_THREADS=$TASK_CPUS"
  --conf "spark.executorEnv.MKL_NUM_THREADS=$TASK_CPUS"
  "${malloc_opts[@]}"
  "${spark_opts[@]}"
  "$D2O_JAR" "$@")

export DJL_CACHE_DIR="$CACHE" OMP_NUM_THREADS="${OMP_NUM_THREADS:-$TASK_CPUS}"
export MALLOC_ARENA_MAX="$ARENAS"
if [[ "${D2O_DRY_RUN:-0}" == 1 ]]; then
  printf '%q ' "${cmd[@]}"; echo
  exit 0
fi
exec "${cmd[@]}"
