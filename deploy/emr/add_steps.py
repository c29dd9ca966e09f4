"""Adds the d2o steps (steps.json, the AddJobFlowSteps API's shape) to a running EMR cluster with boto3 and waits.

    python3 deploy/emr/add_steps.py --cluster-id j-XXXXXXXX --bucket s3://your-bucket [--region eu-west-1]

steps.json names s3://my-bucket; --bucket replaces it. The same list is what Airflow's EmrAddStepsOperator takes as
``steps`` (deploy/airflow/d2o_emr_dag.py). Compiled and its step rewriting run by the project's tests; not run against
AWS by the project (no AWS account where it is built).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

STEPS = Path(__file__).with_name("steps.json")


def load_steps(bucket: str) -> list[dict]:
    """steps.json with s3://my-bucket replaced by ``bucket`` (no trailing slash)."""
    text = STEPS.read_text(encoding="utf-8").replace("s3://my-bucket", bucket.rstrip("/"))
    return json.loads(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster-id", required=True)
    parser.add_argument("--bucket", required=True, help="s3://bucket where d2o/jars and d2o/conf were uploaded")
    parser.add_argument("--region")
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args()

    import boto3  # only needed to talk to AWS

    emr = boto3.client("emr", region_name=args.region)
    ids = emr.add_job_flow_steps(JobFlowId=args.cluster_id, Steps=load_steps(args.bucket))["StepIds"]
    print("added steps", ids)
    if not args.no_wait:
        waiter = emr.get_waiter("step_complete")
        for step_id in ids:
            waiter.wait(ClusterId=args.cluster_id, StepId=step_id, WaiterConfig={"Delay": 60, "MaxAttempts": 720})
            print("step", step_id, "completed")


if __name__ == "__main__":
    main()
