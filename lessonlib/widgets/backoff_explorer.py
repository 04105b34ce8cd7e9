"""Sliders for a backoff policy that redraw its timing plot as they move."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure

from .. import vtime
from ..backoff import BackoffPolicy, Jitter
from ..i18n import tr
from ..plots import backoff_timeline
from ..scenarios import retry_through_outage


def backoff_explorer(*, outage: float = 60.0, seed: int = 0) -> widgets.Widget:
    """A panel: initial delay, multiplier, cap, retries, jitter and outage length.

    Every change reruns one client against an outage in virtual time and redraws its
    timeline. A combination the policy rejects (a cap below the initial delay, say) shows
    the `ValueError`'s message instead of a plot.
    """
    style = {"description_width": "110px"}
    layout = widgets.Layout(width="420px")
    controls = {
        "initial_delay": widgets.FloatLogSlider(
            value=0.1,
            base=10,
            min=-2,
            max=1,
            step=0.1,
            description=tr("initial delay (s)"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "multiplier": widgets.FloatSlider(
            value=2.0,
            min=1.0,
            max=5.0,
            step=0.1,
            description=tr("multiplier"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "max_delay": widgets.FloatSlider(
            value=30.0,
            min=0.5,
            max=120.0,
            step=0.5,
            description=tr("cap (s)"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "max_retries": widgets.IntSlider(
            value=10,
            min=0,
            max=25,
            description=tr("max retries"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "jitter": widgets.Dropdown(
            options=[j.value for j in Jitter],
            value="none",
            description=tr("jitter"),
            style=style,
            layout=layout,
        ),
        "outage": widgets.FloatSlider(
            value=outage,
            min=0.0,
            max=600.0,
            step=5.0,
            description=tr("outage (s)"),
            style=style,
            layout=layout,
            continuous_update=False,
        ),
    }

    def redraw(outage: float, **settings: Any) -> None:
        display(render_schedule(outage, seed=seed, **settings))

    output = widgets.interactive_output(redraw, controls)
    panel = widgets.VBox(list(controls.values()))
    return widgets.VBox([panel, output])


def render_schedule(outage: float, *, seed: int = 0, **settings: Any) -> Figure | str:
    """The explorer's picture for one setting of the controls, or why the policy is invalid."""
    try:
        policy = BackoffPolicy(**settings)
    except ValueError as error:
        return tr("Not a valid policy: {error}", error=error)
    events = vtime.run(retry_through_outage(policy, outage, seed=seed))
    return backoff_timeline(events, policy)
