"""The Dagster code location: everything under ``pipelines/defs/``, the executor and the
automation sensor that keeps corpus-wide tables up to date.

The executor runs steps in process unless the run config says otherwise: a partition is
milliseconds to a second of work and a subprocess per step costs 1.5-2 s here, so in-process
is the right default for ``make build`` and the sensor's one-partition runs. The same code
runs under Dagster's multiprocess executor by configuration alone::

    execution:
      config:
        multiprocess:
          max_concurrent: 2

(and under dagster-celery / dagster-k8s executors by swapping ``EXECUTOR``: docs/deploy.md)."""

from pathlib import Path

import dagster as dg
from dagster._core.definitions.executor_definition import (
    IN_PROC_CONFIG,
    MULTI_PROC_CONFIG,
    _get_default_executor_requirements,
)

BUILD_JOB = "build_all"


@dg.executor(
    name="in_process_or_multiprocess",
    config_schema=dg.Field(
        dg.Selector({"in_process": IN_PROC_CONFIG, "multiprocess": MULTI_PROC_CONFIG}),
        default_value={"in_process": {}},
    ),
    requirements=_get_default_executor_requirements,
)
def in_process_or_multiprocess(init_context):
    """Dagster's ``multi_or_in_process_executor`` with in-process as the default."""
    return dg.multi_or_in_process_executor.executor_creation_fn(init_context)


EXECUTOR = in_process_or_multiprocess


def _with_executor_and_automation(folder: dg.Definitions) -> dg.Definitions:
    return dg.Definitions.merge(
        folder,
        dg.Definitions(
            executor=EXECUTOR,
            sensors=[
                dg.AutomationConditionSensorDefinition(
                    "corpus_automation",
                    target=dg.AssetSelection.all(),
                    default_status=dg.DefaultSensorStatus.RUNNING,
                )
            ],
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location (``dg dev``, the daemon)."""
    return _with_executor_and_automation(dg.load_from_defs_folder(path_within_project=Path(__file__).resolve().parent))


def build_defs() -> dg.Definitions:
    """The same definitions for running jobs (``make build``, step subprocesses), loaded from
    the same defs folder but without what ``load_from_defs_folder`` adds for the UI and ``dg``:
    the JSON schemas of every installed component type (0.2 s of pydantic per load)."""
    import warnings

    tree = dg.ComponentTree.for_project(Path(__file__).resolve().parent)
    with warnings.catch_warnings():  # load_from_defs_folder silences the same preview warnings
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _with_executor_and_automation(tree.build_defs(tree.defs_module_path))


def build_all_job() -> dg.JobDefinition:
    """The ``build_all`` job, for ``dg.reconstructable`` (executors running steps in other
    processes rebuild the job from this function)."""
    return build_defs().resolve_job_def(BUILD_JOB)
