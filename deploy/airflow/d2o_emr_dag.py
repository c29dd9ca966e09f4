"""D2O alignment on a running EMR cluster from Airflow: the steps of deploy/emr/steps.json (the AddJobFlowSteps API's
shape, YARN cluster mode, main class dev.d2o.cli.SparkMain) added with EmrAddStepsOperator, then one EmrStepSensor
per step.

Requires apache-airflow-providers-amazon and an AWS connection (``aws_default``). ``steps.json`` is read from beside
this file's repository checkout (STEPS); its s3://my-bucket is replaced by the ``bucket`` param. Not run in Airflow by
the project; the tests compile it and execute it against a stub of the Airflow API.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from airflow import DAG
from airflow.models.param import Param
from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator
from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor

STEPS = Path(__file__).resolve().parent.parent / "emr" / "steps.json"


def emr_steps() -> list[dict]:
    """The steps, with the bucket left as a Jinja template (rendered per run from the ``bucket`` param)."""
    return json.loads(STEPS.read_text(encoding="utf-8").replace("s3://my-bucket", "{{ params.bucket }}"))


with DAG(
    dag_id="d2o_alignment_emr",
    description="D2O (arXiv:2403.03419): anchors -> train -> evaluate as EMR steps",
    start_date=datetime(2025, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    params={
        "cluster_id": Param("j-XXXXXXXXXXXXX", type="string"),
        "bucket": Param("s3://my-bucket", type="string"),
    },
    tags=["d2o", "emr", "alignment"],
) as dag:
    steps = emr_steps()
    add = EmrAddStepsOperator(
        task_id="add_steps",
        job_flow_id="{{ params.cluster_id }}",
        steps=steps,
        aws_conn_id="aws_default",
    )
    previous = add
    for i, step in enumerate(steps):
        watch = EmrStepSensor(
            task_id="watch_" + step["Name"].split()[-1],
            job_flow_id="{{ params.cluster_id }}",
            step_id="{{ task_instance.xcom_pull(task_ids='add_steps')[" + str(i) + "] }}",
            aws_conn_id="aws_default",
            poke_interval=60,
        )
        previous >> watch
        previous = watch
