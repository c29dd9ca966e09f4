"""Stub of BaseOperator: records keyword arguments, refuses ones the real operator does not take."""

import airflow

# BaseOperator's own arguments that the project's DAGs may use
BASE_ARGS = {
    "task_id", "owner", "retries", "retry_delay", "retry_exponential_backoff", "max_retry_delay",
    "execution_timeout", "depends_on_past", "trigger_rule", "pool", "queue", "priority_weight", "do_xcom_push",
}


class BaseOperator:
    ARGS = set()

    def __init__(self, **kwargs):
        unknown = set(kwargs) - self.ARGS - BASE_ARGS
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments {sorted(unknown)}")
        if "task_id" not in kwargs:
            raise TypeError(f"{type(self).__name__} needs a task_id")
        self.task_id = kwargs["task_id"]
        self.kwargs = kwargs
        self.dag = airflow.current_dag()
        if self.task_id in self.dag.tasks:
            raise ValueError(f"duplicate task_id {self.task_id}")
        self.dag.tasks[self.task_id] = self

    def __rshift__(self, other):
        self.dag.edges.append((self.task_id, other.task_id))
        return other
