"""Stub of EmrStepSensor (apache-airflow-providers-amazon): its documented arguments."""

from airflow.models.baseoperator import BaseOperator


class EmrStepSensor(BaseOperator):
    ARGS = {
        "job_flow_id", "step_id", "target_states", "failed_states", "aws_conn_id", "poke_interval", "timeout",
        "mode", "deferrable",
    }
