"""The Dagster code location: everything under ``pipelines/defs/``, the in-process executor
(partitions are milliseconds of work each; production may configure another executor) and
the automation sensor that keeps corpus-wide tables up to date."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    folder = dg.load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
    return dg.Definitions.merge(
        folder,
        dg.Definitions(
            executor=dg.in_process_executor,
            sensors=[
                dg.AutomationConditionSensorDefinition(
                    "corpus_automation",
                    target=dg.AssetSelection.all(),
                    default_status=dg.DefaultSensorStatus.RUNNING,
                )
            ],
        ),
    )
