"""D2O alignment as Airflow DAGs: anchors -> train -> evaluate, each a spark-submit of the d2o application jar.

Two DAGs from one factory:

- ``d2o_alignment``: client mode (the driver runs on the Airflow worker), for a standalone master or any master the
  worker can reach; the configuration file is read from the worker's disk.
- ``d2o_alignment_yarn_cluster``: YARN cluster mode (the driver runs in the ApplicationMaster's container, as on EMR);
  the configuration file travels with ``files`` and is named by its base name, ``env_vars`` reach the driver's
  container (SparkSubmitHook turns them into ``spark.yarn.appMasterEnv.*``), and YARN retries a lost driver once
  (``spark.yarn.maxAppAttempts=2``).

Requires apache-airflow-providers-apache-spark and a Spark connection (``spark_default``: host spark://..., or yarn
for the cluster-mode DAG). Parameters are DAG params (``airflow dags trigger d2o_alignment --conf '{"run_dir": ...}'``).

Retries: every stage command is safe to rerun with the same configuration (anchors are reused once complete, train
continues from the newest checkpoint, evaluate is redone), so Airflow's ``retries`` need no extra flags. A retry that
starts while the lost run's lock is not yet expired waits for it (run.lockTimeout, 180 s by default).

The main class is dev.d2o.cli.SparkMain: it returns normally on success and throws on failure, never System.exit.
Not run in Airflow by the project (apache-airflow cannot be installed where it is built); the tests compile this file
and execute it against a stub of the Airflow API that records every operator's arguments.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

APP_JAR = "/opt/d2o/d2o-spark-job-0.1.0-SNAPSHOT-app.jar"
MAIN_CLASS = "dev.d2o.cli.SparkMain"
TASK_CPUS = 4
DJL_CACHE_DIR = "/tmp/d2o-djl-cache"

# What deploy/spark-submit.sh passes: Java 17 module openings, DJL offline with a node-local native cache, libtorch
# threads that match spark.task.cpus, room for libtorch's off-heap memory, no dynamic allocation (idle executors
# would be released with their cached models), and task results large enough for gradient sums.
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
    "spark.yarn.am.extraJavaOptions": _OPENS,
    "spark.executorEnv.DJL_CACHE_DIR": DJL_CACHE_DIR,
    "spark.executorEnv.OMP_NUM_THREADS": str(TASK_CPUS),
    "spark.driver.maxResultSize": "4g",
    "spark.executor.memoryOverhead": "4g",
    "spark.dynamicAllocation.enabled": "false",
}
# the driver's environment: the submitting process in client mode, the ApplicationMaster's container in cluster mode
ENV_VARS = {"DJL_CACHE_DIR": DJL_CACHE_DIR, "OMP_NUM_THREADS": str(TASK_CPUS)}

PARAMS = {
    "conf_file": Param("/opt/d2o/cluster.conf", type="string"),
    "run_dir": Param("hdfs:///d2o/runs/d2o-1", type="string"),
    "input": Param("hdfs:///d2o/data/negatives.parquet", type="string"),
    "eval_input": Param("hdfs:///d2o/data/eval.parquet", type="string"),
    "model": Param("hdfs:///d2o/models/reference", type="string"),
    "device": Param("auto", enum=["auto", "cpu", "gpu"]),
    "max_steps": Param(200, type="integer", minimum=1),
}


def d2o_dag(dag_id: str, deploy_mode: str) -> DAG:
    """anchors >> train >> evaluate, submitted in ``deploy_mode`` ("client" or "cluster")."""
    cluster = deploy_mode == "cluster"
    # in cluster mode the file is shipped with the application and read from the container's working directory
    conf_arg = "{{ params.conf_file.split('/')[-1] }}" if cluster else "{{ params.conf_file }}"
    sets = [
        "--conf", conf_arg,
        "--set", "run.dir={{ params.run_dir }}",
        "--set", "data.input={{ params.input }}",
        "--set", "model.path={{ params.model }}",
        "--set", "model.device={{ params.device }}",
        "--set", "train.maxSteps={{ params.max_steps }}",
    ]
    conf = dict(SPARK_CONF)
    if cluster:
        conf["spark.yarn.maxAppAttempts"] = "2"  # YARN retries a lost driver; the attempt continues the run

    with DAG(
        dag_id=dag_id,
        description=f"D2O (arXiv:2403.03419): anchors -> train -> evaluate on Spark, {deploy_mode} mode",
        start_date=datetime(2025, 1, 1),
        schedule=None,
        catchup=False,
        max_active_runs=1,  # one run directory, one writer: its lock refuses a second live run anyway
        default_args={
            "owner": "d2o",
            "retries": 2,
            "retry_delay": timedelta(minutes=2),
            "retry_exponential_backoff": True,
        },
        params=PARAMS,
        tags=["d2o", "spark", "alignment"],
    ) as dag:

        def stage(task_id: str, args: list[str], **kwargs) -> SparkSubmitOperator:
            return SparkSubmitOperator(
                task_id=task_id,
                application=APP_JAR,
                java_class=MAIN_CLASS,
                conn_id="spark_default",
                deploy_mode=deploy_mode,
                files="{{ params.conf_file }}" if cluster else None,
                conf=conf,
                env_vars=ENV_VARS,
                application_args=args,
                name=f"d2o-{task_id}",
                executor_memory="8g",
                driver_memory="8g",
                **kwargs,
            )

        anchors = stage("anchors", ["anchors", *sets])
        train = stage("train", ["train", *sets], execution_timeout=timedelta(hours=12), retries=3)
        evaluate = stage(
            "evaluate",
            [
                "evaluate",
                "--conf", conf_arg,
                "--set", "model.path={{ params.model }}",
                "--set", "data.eval={{ params.eval_input }}",
                "--policy", "{{ params.run_dir }}/final",
                "--output", "{{ params.run_dir }}/eval-report",
                "--metrics", "{{ params.run_dir }}/metrics.jsonl",
            ],
        )
        anchors >> train >> evaluate
    return dag


client_dag = d2o_dag("d2o_alignment", "client")
yarn_cluster_dag = d2o_dag("d2o_alignment_yarn_cluster", "cluster")
