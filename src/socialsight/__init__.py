"""socialsight: sight of an organisation's dependence on social media and Web 2.0 services.

The library is layered (see docs/architecture.md): ``formats`` turn log text into Arrow
records, ``catalog`` classifies hosts, ``privacy`` pseudonymises, ``store`` keeps the data,
``analytics`` computes results. The faces (``cli``) call the library, never the reverse.
"""

__version__ = "0.1.0"
