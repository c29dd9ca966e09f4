"""D2O alignment as an Airflow DAG: anchors -> train -> evaluate, each a spark-submit of the d2o application jar.

Requires apache-airflow-providers-apache-spark (SparkSubmitOperator) and a Spark connection (default
``spark_default``) whose host is the cluster's master (spark://..., yarn, k8s://...). Parameters are DAG params, so a
manual trigger can override them (``airflow dags trigger d2o_alignment --conf '{"run_dir": "..."}'``).

``train`` runs with ``--resume``: an Airflow retry after a lost driver continues from the newest complete checkpoint
in the run directory, with the same trajectory as an uninterrupted run. ``anchors`` is idempotent (it rewrites
run_dir/anchors), and ``evaluate`` writes its report to run_dir/eval-report.

Compiled with ``python3 -m py_compile`` by the project's tests; not run in Airflow by the project (Airflow is not
installed where it is built).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

APP_JAR = "/opt/d2o/d2o-spark-job-0.1.0-SNAPSHOT-app.jar"
TASK_CPUS = 4
DJL_CACHE_DIR = "/tmp/d2o-djl-cache"

# What deploy/spark-submit.sh passes: Java 17 module openings, DJL offline with a node-local native cache, and
# libtorch threads that match spark.task.cpus.
_OPENS = " ".join(
    f"--add-opens=java.base/{p}=ALL-UNNAMED"
    for p in [
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
        "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs", "sun.security.action",
        "sun.util.calendar",
    ]
)
_DJL = (
    f"-Dai.djl.offline=true -DDJL_CACHE_DIR={DJL_CACHE_DIR} "
    f"-Dai.djl.pytorch.num_threads={TASK_CPUS} -Dai.djl.pytorch.num_interop_threads=1"
)
SPARK_CONF = {
    "spark.task.cpus": str(TASK_CPUS),
    "spark.executor.cores": str(TASK_CPUS),
    "spark.driver.extraJavaOptions": f"{_OPENS} {_DJL}",
    "spark.executor.extraJavaOptions": f"{_OPENS} {_DJL}",
    "spark.executorEnv.DJL_CACHE_DIR": DJL_CACHE_DIR,
    "spark.executorEnv.OMP_NUM_THREADS": str(TASK_CPUS),
}

# Jinja: every task reads the same parameters.
_SETS = [
    "--conf", "{{ params.conf_file }}",
    "--set", "run.dir={{ params.run_dir }}",
    "--set", "data.input={{ params.input }}",
    "--set", "model.path={{ params.model }}",
    "--set", "model.device={{ params.device }}",
    "--set", "train.maxSteps={{ params.max_steps }}",
]

default_args = {
    "owner": "d2o",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
}

with DAG(
    dag_id="d2o_alignment",
    description="D2O (arXiv:2403.03419): anchors -> train -> evaluate on Spark",
    start_date=datetime(2025, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=1,  # one run directory, one writer: the run directory's lock refuses a second one anyway
    default_args=default_args,
    params={
        "conf_file": Param("/opt/d2o/cluster.conf", type="string"),
        "run_dir": Param("hdfs:///d2o/runs/d2o-1", type="string"),
        "input": Param("hdfs:///d2o/data/negatives.parquet", type="string"),
        "eval_input": Param("hdfs:///d2o/data/eval.parquet", type="string"),
        "model": Param("hdfs:///d2o/models/reference", type="string"),
        "device": Param("auto", enum=["auto", "cpu", "gpu"]),
        "max_steps": Param(200, type="integer", minimum=1),
    },
    tags=["d2o", "spark", "alignment"],
) as dag:

    def stage(task_id: str, args: list[str], **kwargs) -> SparkSubmitOperator:
        return SparkSubmitOperator(
            task_id=task_id,
            application=APP_JAR,
            java_class="dev.d2o.cli.D2oCli",
            conn_id="spark_default",
            conf=SPARK_CONF,
            application_args=args,
            name=f"d2o-{task_id}",
            executor_memory="8g",
            driver_memory="8g",
            **kwargs,
        )

    anchors = stage("anchors", ["anchors", *_SETS])
    train = stage(
        "train",
        ["train", *_SETS, "--resume"],  # a retry continues from the newest checkpoint
        execution_timeout=timedelta(hours=12),
        retries=3,
    )
    evaluate = stage(
        "evaluate",
        [
            "evaluate",
            "--conf", "{{ params.conf_file }}",
            "--set", "model.path={{ params.model }}",
            "--set", "data.eval={{ params.eval_input }}",
            "--policy", "{{ params.run_dir }}/final",
            "--output", "{{ params.run_dir }}/eval-report",
            "--metrics", "{{ params.run_dir }}/metrics.jsonl",
        ],
    )

    anchors >> train >> evaluate
