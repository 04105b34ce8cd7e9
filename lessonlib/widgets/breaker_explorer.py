"""Sliders for a breaker and an outage that redraw the breaker's timeline as they move."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure

from .. import vtime
from ..breaker import CircuitBreaker
from ..i18n import tr
from ..plots import breaker_timeline
from ..scenarios import calls_through_a_breaker


def breaker_explorer(*, seed: int = 0) -> widgets.Widget:
    """Failure rate during the outage, failure threshold, reset timeout, and whether the
    wait grows after a failed trial; each change reruns two simulated minutes."""
    style = {"description_width": "150px"}
    layout = widgets.Layout(width="460px")
    controls = {
        "failure_rate": widgets.FloatSlider(
            value=0.9,
            min=0.0,
            max=1.0,
            step=0.05,
            description=tr("failure rate in outage"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "failure_threshold": widgets.IntSlider(
            value=3,
            min=1,
            max=10,
            description=tr("failure threshold"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "reset_timeout": widgets.FloatSlider(
            value=10.0,
            min=1.0,
            max=40.0,
            step=1.0,
            description=tr("reset timeout (s)"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "timeout_multiplier": widgets.Dropdown(
            options=[(tr("stays the same"), 1.0), (tr("doubles"), 2.0)],
            value=1.0,
            description=tr("wait after a failed trial"),
            style=style,
            layout=layout,
        ),
    }

    def redraw(**settings: Any) -> None:
        display(render_breaker(seed=seed, **settings))

    output = widgets.interactive_output(redraw, controls)
    return widgets.VBox([widgets.VBox(list(controls.values())), output])


def render_breaker(
    *,
    failure_rate: float,
    failure_threshold: int,
    reset_timeout: float,
    timeout_multiplier: float = 1.0,
    seed: int = 0,
) -> Figure:
    """The explorer's picture for one setting of its controls."""
    breaker = CircuitBreaker(
        failure_threshold, reset_timeout, timeout_multiplier=timeout_multiplier
    )
    events = vtime.run(calls_through_a_breaker(breaker, failure_rate=failure_rate, seed=seed))
    return breaker_timeline(events, duration=120.0)
