"""Reports: a single-file HTML report and CSV / JSON exports of the same content.

A face over :class:`socialsight.insights.Insights`: :func:`build_report` gathers every section
once (each already filtered by the minimum group size), and the writers render it.

>>> from socialsight.insights import Insights                       # doctest: +SKIP
>>> report = build_report(Insights.open("socialsight-data"))        # doctest: +SKIP
>>> write_html(report, Path("report.html"))                          # doctest: +SKIP
>>> write_csv(report, Path("report-csv"))                            # doctest: +SKIP
>>> write_json(report, "report.json")                                # doctest: +SKIP
"""

from socialsight.report.csv_export import write_csv
from socialsight.report.html import render_html, write_html
from socialsight.report.json_export import report_document, write_json
from socialsight.report.model import SECTIONS, Report, UnitProfile, build_report

__all__ = [
    "SECTIONS",
    "Report",
    "UnitProfile",
    "build_report",
    "render_html",
    "report_document",
    "write_csv",
    "write_html",
    "write_json",
]
