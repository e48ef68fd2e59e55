"""A user's chart layout of a project: the panels the dashboard draws, each with its metrics
(named, or matched by a pattern) and its own settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from wavedb_core.models.base import (
    NonBlankText,
    RequestModel,
    ResponseModel,
)
from wavedb_core.models.metrics import MetricName

MAX_PANELS = 100
MAX_PANEL_METRICS = 50
MAX_PANEL_ID_LENGTH = 64
MAX_PANEL_TITLE_LENGTH = 200
MAX_PATTERN_LENGTH = 200
MAX_GROUP_KEYS = 5
MAX_CONFIG_KEY_LENGTH = 255
# A panel spans 1 to 4 columns of the grid and is 160 to 800 pixels high.
MAX_PANEL_SPAN = 4
MIN_PANEL_HEIGHT = 160
MAX_PANEL_HEIGHT = 800
DEFAULT_PANEL_HEIGHT = 220

PanelId = Annotated[str, NonBlankText(MAX_PANEL_ID_LENGTH)]
PanelTitle = Annotated[str, StringConstraints(max_length=MAX_PANEL_TITLE_LENGTH)]
MetricPattern = Annotated[str, StringConstraints(max_length=MAX_PATTERN_LENGTH)]
ConfigKey = Annotated[str, NonBlankText(MAX_CONFIG_KEY_LENGTH)]
# step: the logged step; time: wall-clock time; relative: time since the run's first point.
PanelXAxis = Literal["step", "time", "relative"]
# How a group of runs is drawn around its mean: its min-max range, ± one standard deviation,
# or no band.
GroupBand = Literal["minmax", "std", "none"]


class Panel(RequestModel):
    """One chart: the metrics named in `metrics` and those whose names match `pattern` (a
    regular expression, searched), drawn with the panel's own settings. A panel with neither
    draws nothing; a y range is applied where `y_min` is below `y_max`. Panel ids name panels
    for the dashboard, which keeps them unique."""

    id: PanelId
    title: PanelTitle = ""
    metrics: list[MetricName] = Field(default_factory=list, max_length=MAX_PANEL_METRICS)
    pattern: MetricPattern = ""
    x_axis: PanelXAxis = "step"
    log_scale: StrictBool = False
    smoothing: float = Field(default=0.0, ge=0.0, le=0.99, allow_inf_nan=False)
    y_min: float | None = Field(default=None, allow_inf_nan=False)
    y_max: float | None = Field(default=None, allow_inf_nan=False)
    span: int = Field(default=1, ge=1, le=MAX_PANEL_SPAN, description="Grid columns it spans.")
    height: int = Field(
        default=DEFAULT_PANEL_HEIGHT,
        ge=MIN_PANEL_HEIGHT,
        le=MAX_PANEL_HEIGHT,
        description="Chart height in pixels.",
    )


class LayoutRequest(RequestModel):
    """The whole layout, replacing the saved one. `group_by` names config keys (dotted, as
    the run table shows them): runs sharing their values are drawn as one line."""

    panels: list[Panel] = Field(max_length=MAX_PANELS)
    group_by: list[ConfigKey] = Field(default_factory=list, max_length=MAX_GROUP_KEYS)
    group_band: GroupBand = "minmax"


class LayoutOut(ResponseModel):
    """The caller's saved layout of the project; no panels and `updated_at` null when none
    has been saved."""

    panels: list[Panel]
    group_by: list[str]
    group_band: GroupBand
    updated_at: datetime | None
