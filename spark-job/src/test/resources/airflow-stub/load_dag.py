"""Imports a DAG file against the stub and prints its DAGs as JSON: python3 load_dag.py FILE."""

import json
import runpy
import sys

import airflow

runpy.run_path(sys.argv[1])
out = {}
for dag in airflow.DAGS:
    out[dag.dag_id] = {
        "default_args": {k: str(v) for k, v in dag.kwargs.get("default_args", {}).items()},
        "params": sorted(dag.kwargs.get("params", {})),
        "tasks": {
            t.task_id: {"operator": type(t).__name__, "kwargs": {k: v for k, v in t.kwargs.items() if k != "task_id"}}
            for t in dag.tasks.values()
        },
        "edges": dag.edges,
    }
print(json.dumps(out, default=str, indent=1))
