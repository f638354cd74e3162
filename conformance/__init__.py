"""rtconform conformance runner: an independent oracle for real-time web protocol servers."""

__version__ = "0.1.0"
