#!/usr/bin/env bash
# Amazon EMR 7.x (Spark 3.5, Java 17): uploads the application jar and the configuration, starts a cluster with the
# spark-defaults classification (configurations.json; with GPU=1 the GPU cluster of configurations-gpu.json, the
# -Pcuda jar and the libtorch bootstrap), then adds the anchors -> train -> evaluate steps with boto3 (add_steps.py).
# Not run by the project (no AWS account where it is built); DeployFilesTest checks the files it reads.
#
#   BUCKET=s3://your-bucket deploy/emr/create-cluster.sh        # CPU (m6i)
#   BUCKET=s3://your-bucket GPU=1 deploy/emr/create-cluster.sh  # GPU (g5), libtorch staged at s3://.../d2o/libtorch/
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUCKET="${BUCKET:?set BUCKET=s3://your-bucket}"
ROOT="$HERE/../.."
aws s3 cp "$ROOT/conf/cluster.conf" "$BUCKET/d2o/conf/cluster.conf"
if [[ "${GPU:-0}" == 1 ]]; then
  aws s3 cp "$ROOT/spark-job/target/d2o-spark-job-0.1.0-SNAPSHOT-cuda-app.jar" \
    "$BUCKET/d2o/jars/d2o-spark-job-0.1.0-SNAPSHOT-app.jar" # the steps name one jar
  aws s3 cp "$ROOT/deploy/gpu/stage-libtorch-cuda.sh" "$BUCKET/d2o/bootstrap/stage-libtorch-cuda.sh"
  # EMR 7 mounts cgroup v2; YARN's GPU isolation needs the v1 devices controller (EMR's RAPIDS guide)
  CGROUP_SCRIPT="$(mktemp)"
  cat > "$CGROUP_SCRIPT" <<'SH'
#!/bin/bash
set -ex
sudo mkdir -p /spark-rapids-cgroup/devices
sudo mount -t cgroup -o devices cgroupv1-devices /spark-rapids-cgroup/devices
sudo chmod a+rwx -R /spark-rapids-cgroup
SH
  aws s3 cp "$CGROUP_SCRIPT" "$BUCKET/d2o/bootstrap/cgroup-v1.sh"
  CLUSTER_ID="${CLUSTER_ID:-$(aws emr create-cluster --name d2o-gpu --release-label emr-7.5.0 --applications Name=Spark \
    --instance-groups InstanceGroupType=MASTER,InstanceCount=1,InstanceType=m6i.2xlarge \
                      InstanceGroupType=CORE,InstanceCount=2,InstanceType=g5.2xlarge \
    --use-default-roles --configurations "file://$HERE/configurations-gpu.json" \
    --bootstrap-actions Path="$BUCKET/d2o/bootstrap/cgroup-v1.sh",Name=cgroup-v1 \
      Path="$BUCKET/d2o/bootstrap/stage-libtorch-cuda.sh",Name=libtorch-cuda,Args=["$BUCKET/d2o/libtorch/libtorch-cxx11-abi-shared-with-deps-2.7.1+cu128.zip","/mnt/libtorch-2.7.1-cu128"] \
    --query ClusterId --output text)}"
else
  aws s3 cp "$ROOT/spark-job/target/d2o-spark-job-0.1.0-SNAPSHOT-app.jar" "$BUCKET/d2o/jars/"
  CLUSTER_ID="${CLUSTER_ID:-$(aws emr create-cluster --name d2o --release-label emr-7.5.0 --applications Name=Spark \
    --instance-type m6i.4xlarge --instance-count 5 --use-default-roles \
    --configurations "file://$HERE/configurations.json" --query ClusterId --output text)}"
fi
python3 "$HERE/add_steps.py" --cluster-id "$CLUSTER_ID" --bucket "$BUCKET"
