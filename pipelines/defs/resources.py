"""The dataset's locations as a Dagster resource (defaults from the environment)."""


import dagster as dg

from pipelines.settings import Settings, load_settings


class DatasetResource(dg.ConfigurableResource):
    """Where raw files are read from and outputs written to. Empty fields take the values of
    ``pipelines.settings.load_settings`` (RAW_DIR, OUTPUT_DIR, RAW_INCLUDE, MAX_FILE_MB)."""

    raw_dir: str = ""
    output_dir: str = ""

    def settings(self) -> Settings:
        s = load_settings()
        update = {}
        if self.raw_dir:
            update["raw_dir"] = dg_path(self.raw_dir)
        if self.output_dir:
            update["output_dir"] = dg_path(self.output_dir)
        return s.model_copy(update=update)


def dg_path(p: str):
    from pathlib import Path

    return Path(p).expanduser().resolve()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources={"dataset": DatasetResource()})
