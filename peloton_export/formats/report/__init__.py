"""HTML reports: one page per workout with SVG charts, and the history page ``index.html``.

* :mod:`~peloton_export.formats.report.page` renders a workout page;
* :mod:`~peloton_export.formats.report.index` builds the history page (:func:`build_index`);
* :mod:`~peloton_export.formats.report.facts` reduces a workout to the small facts the index needs;
* :mod:`~peloton_export.formats.report.svg` draws the charts; :mod:`~peloton_export.formats.report.style`
  holds the stylesheet; :mod:`~peloton_export.formats.report.display` the display units.
"""

from __future__ import annotations

from peloton_export.formats.report.index import build_index
from peloton_export.formats.report.page import render_page

__all__ = ["build_index", "render_page"]
