#!/usr/bin/env bash
# Amazon EMR (7.x: Spark 3.5, Java 17). Upload the application jar and the configuration, start a cluster with the
# spark-defaults classification, then add the anchors -> train -> evaluate steps. Untested by the project (no AWS
# account where it is built); the JSON files are parsed and checked against the d2o command line by DeployFilesTest.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUCKET="${BUCKET:-s3://my-bucket}"

aws s3 cp "$HERE/../../spark-job/target/d2o-spark-job-0.1.0-SNAPSHOT-app.jar" "$BUCKET/d2o/jars/"
aws s3 cp "$HERE/../../conf/cluster.conf" "$BUCKET/d2o/conf/cluster.conf"

CLUSTER_ID="${CLUSTER_ID:-$(aws emr create-cluster --name d2o --release-label emr-7.5.0 --applications Name=Spark \
  --instance-type m6i.4xlarge --instance-count 5 --use-default-roles \
  --configurations "file://$HERE/configurations.json" --query ClusterId --output text)}"

# steps.json names s3://my-bucket; substitute your bucket
sed "s|s3a\?://my-bucket|$BUCKET|g" "$HERE/steps.json" > /tmp/d2o-emr-steps.json
aws emr add-steps --cluster-id "$CLUSTER_ID" --steps file:///tmp/d2o-emr-steps.json
