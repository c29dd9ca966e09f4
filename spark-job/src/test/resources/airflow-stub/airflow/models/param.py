"""Stub of airflow.models.param.Param."""


class Param:
    def __init__(self, default=None, description=None, **schema):
        self.default = default
        self.schema = schema
