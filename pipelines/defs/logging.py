"""Run logs: the console (level set per run) and a file in DAGSTER_HOME (``build.log``)."""

import logging
import os
from pathlib import Path

import dagster as dg


@dg.logger(
    config_schema={"log_level": dg.Field(str, default_value="DEBUG"), "path": dg.Field(str, default_value="")},
    description="Appends every run's log lines to $DAGSTER_HOME/build.log (or `path`).",
)
def file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    path = init_context.logger_config["path"] or str(Path(os.environ.get("DAGSTER_HOME", ".")) / "build.log")
    log = logging.getLogger(f"sfp.runlog.{path}")
    log.setLevel(init_context.logger_config["log_level"])
    if not log.handlers:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
    log.propagate = False
    return log


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(loggers={"console": dg.colored_console_logger, "file": file_logger})
