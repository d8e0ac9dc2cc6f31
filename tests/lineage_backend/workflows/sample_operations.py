"""A deployment's operation list as a Python module (`FLOWLYTICS_WORKFLOW_OPERATIONS=<this module>`)."""

OPERATIONS = [
    {
        "id": "enrich",
        "name": "enrich",
        "aliases": ["add customer data"],
        "target": "flowlytics_plugin.workflow_runtime:dry_run",
        "dataset": "required",
    }
]
