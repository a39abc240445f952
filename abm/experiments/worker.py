"""What a Dask worker runs for one batch run. It returns data; it never writes files.

Imported by reference on the workers (``abm`` must be installed there), so the task
carries only the resolved config (a JSON dict) and the outputs spec.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from abm.experiments.spec import OutputsSpec

__all__ = ["execute_run", "select_outputs", "default_metrics"]

KEY_COLUMNS = ("month", "year")


def default_metrics(timeseries: pd.DataFrame) -> list[str]:
    """Every numeric timeseries column except the calendar keys."""
    return [c for c in timeseries.columns
            if c not in KEY_COLUMNS and pd.api.types.is_numeric_dtype(timeseries[c])
            and not pd.api.types.is_bool_dtype(timeseries[c])]


def select_outputs(timeseries: pd.DataFrame, outputs: OutputsSpec) -> pd.DataFrame:
    """The rows and columns a run keeps: ``month`` plus the metrics.

    Without ``outputs.series`` only the final month is kept; with it every
    ``outputs.every``-th month and always the final one.
    """
    metrics = outputs.metrics or default_metrics(timeseries)
    missing = [m for m in metrics if m not in timeseries.columns]
    if missing:
        raise ValueError(f"outputs.metrics: no column {', '.join(missing)} in the timeseries; "
                       f"it has {', '.join(map(str, timeseries.columns))}")
    n = len(timeseries)
    if outputs.series:
        keep = [i for i in range(n) if i % outputs.every == 0 or i == n - 1]
    else:
        keep = [n - 1]
    return timeseries.iloc[keep][["month", *metrics]].reset_index(drop=True)


def execute_run(config: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """Simulate one resolved config; return its kept rows and headline summary."""
    from abm.config import config_from_dict
    from abm.runner import simulate

    cfg = config_from_dict(config, "<batch run>")
    result = simulate(cfg)
    table = select_outputs(result.timeseries, OutputsSpec.model_validate(outputs))
    return {"table": table, "headline": result.summary.get("headline", {})}
