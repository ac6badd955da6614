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


class _StepEvents(logging.Handler):
    """Step start/finish messages → pipelines.progress (the CLI's progress bars)."""

    def emit(self, record: logging.LogRecord) -> None:
        from pipelines import progress

        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        if event is None or not step:
            return
        kind = getattr(event, "event_type_value", "")
        if kind == "STEP_START":
            progress.emit("started", step)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            progress.emit("finished" if kind == "STEP_SUCCESS" else "failed", step)


@dg.logger(description="Forwards step events to pipelines.progress (used by the command line).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("sfp.progress")
    log.setLevel(logging.DEBUG)
    if not log.handlers:
        log.addHandler(_StepEvents())
    log.propagate = False
    return log


def run_logging_config(verbose: bool = False) -> dict:
    """Run config for a build: console quiet unless verbose, the file log, progress events."""
    level = "DEBUG" if verbose else "CRITICAL"
    return {"loggers": {"console": {"config": {"log_level": level}}, "file": {}, "progress": {}}}


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        loggers={"console": dg.colored_console_logger, "file": file_logger, "progress": progress_logger}
    )
