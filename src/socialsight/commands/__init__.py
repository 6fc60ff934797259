"""CLI command groups beyond the core ones in ``socialsight/cli.py``.

Each module here imports ``app`` and the rendering helpers from :mod:`socialsight.cli` and
decorates its commands with ``@app.command()``; ``cli.py`` imports every module of this package
once its helpers are defined. Commands stay thin: parse options, call one
:class:`socialsight.insights.Insights` method (or another library function), render.
"""
