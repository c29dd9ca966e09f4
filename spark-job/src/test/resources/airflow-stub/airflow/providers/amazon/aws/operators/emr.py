"""Stub of EmrAddStepsOperator (apache-airflow-providers-amazon): its documented arguments."""

from airflow.models.baseoperator import BaseOperator


class EmrAddStepsOperator(BaseOperator):
    ARGS = {
        "job_flow_id", "job_flow_name", "cluster_states", "aws_conn_id", "steps", "wait_for_completion",
        "waiter_delay", "waiter_max_attempts", "execution_role_arn", "deferrable",
    }
