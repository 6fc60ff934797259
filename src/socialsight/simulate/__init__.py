"""A simulated organisation that writes realistic proxy logs, with a truth file.

>>> from socialsight.simulate import SimulationConfig, OutageSpec, simulate
>>> SimulationConfig(days=7, people=150).timezone
'America/Toronto'

See ``docs/simulator.md`` for the model, the options and the truth file.
"""

from socialsight.simulate.config import OutageSpec, SimulationConfig
from socialsight.simulate.run import SimulationSummary, estimate_lines, simulate

__all__ = ["OutageSpec", "SimulationConfig", "SimulationSummary", "estimate_lines", "simulate"]
