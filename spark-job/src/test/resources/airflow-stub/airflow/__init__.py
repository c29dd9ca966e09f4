"""Stub of airflow.DAG: a context manager that collects the operators created inside it."""

DAGS = []
_CURRENT = []


class DAG:
    def __init__(self, dag_id, **kwargs):
        self.dag_id = dag_id
        self.kwargs = kwargs
        self.tasks = {}
        self.edges = []
        DAGS.append(self)

    def __enter__(self):
        _CURRENT.append(self)
        return self

    def __exit__(self, *exc):
        _CURRENT.pop()
        return False


def current_dag():
    if not _CURRENT:
        raise RuntimeError("operator created outside a DAG context")
    return _CURRENT[-1]
