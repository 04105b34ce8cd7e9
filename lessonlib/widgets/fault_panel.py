"""Buttons that break the practice exchange while a class watches."""

from __future__ import annotations

import ipywidgets as widgets

from ..exchange import ExchangeCore, run_command
from ..i18n import Text, tr

BUTTONS = (
    ("drop", "drop", "danger", Text("end every connection with no close frame")),
    ("close 1011", "close 1011", "warning", Text("close cleanly with 1011 (server error)")),
    ("stall 5 s", "stall 5", "warning", Text("send nothing for 5 seconds")),
    ("refuse 3 + drop", "refuse 3; drop", "warning", Text("drop, then refuse 3 handshakes")),
    ("rate-limit + drop", "ratelimit 1 2; drop", "warning", Text("drop, then answer HTTP 429")),
    ("shutdown", "shutdown 2", "warning", Text("announce a restart, reconnect after 2 s")),
    ("skip 5", "skip 5", "info", Text("leave 5 tickers and 5 book updates of each symbol out")),
    ("garbage", "garbage", "info", Text("send a malformed frame")),
    ("latency 0.3 s", "latency 0.3", "info", Text("delay every frame by 0.3 s")),
    ("heal", "heal; latency 0", "success", Text("clear every fault")),
)


def fault_panel(exchange: ExchangeCore) -> widgets.Widget:
    """A row of fault buttons for ``exchange`` and a line saying what the last one did.

    Each button runs the same command an instructor could type into the exchange's
    terminal; the commands are shown on the buttons' tooltips.
    """
    status = widgets.HTML("<i>" + tr("press a button to break the exchange") + "</i>")

    def press(line: str) -> None:
        answers = [run_command(exchange, command) for command in line.split(";")]
        status.value = "<code>" + " &nbsp;|&nbsp; ".join(answers) + "</code>"

    buttons = []
    for label, line, style, tip in BUTTONS:
        button = widgets.Button(
            description=label,
            button_style=style,
            tooltip=f"{tip}  ({line})",
            layout=widgets.Layout(width="auto"),
        )
        button.on_click(lambda _, line=line: press(line))
        buttons.append(button)
    title = widgets.HTML("<b>" + tr("Break {name}", name=exchange.name) + "</b>")
    return widgets.VBox(
        [title, widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap")), status]
    )
