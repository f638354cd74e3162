"""Over-the-wire fuzzing of a WebSocket echo server: plans (``plan``), running and judging one
(``execute``), a session (``session``), case files (``casefile``). The command line is
:mod:`conformance.cli.fuzz`; the HTML report reads the files a session writes (``conformance.reporting``).
"""
