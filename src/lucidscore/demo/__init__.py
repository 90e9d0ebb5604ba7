"""``lucidscore demo``: synthetic population -> store -> features -> segmented scorecard -> scores and
history -> demo logins -> the web service. The one command a newcomer runs first."""

from lucidscore.demo._build import DemoBuild, build_demo, demo_rescorer, demo_settings, existing_demo
from lucidscore.demo._logins import DemoLogins

__all__ = ["DemoBuild", "DemoLogins", "build_demo", "demo_rescorer", "demo_settings", "existing_demo"]
