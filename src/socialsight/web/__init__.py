"""The web dashboard: a thin face over :class:`socialsight.insights.Insights`.

Build it with :func:`socialsight.web.app.create_app` and serve it with ``socialsight serve``.
"""
