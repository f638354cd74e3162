"""Client mode (issue 15): rtconform plays the server side of each case and judges the client under test.

:mod:`.process` starts a client command per case URL (bounded output, the process group stopped);
:mod:`.browser` runs a browser's WebSocket or EventSource on a driver page instead; :mod:`.run` runs client
cases with the normal runner; :mod:`.app` is ``rtconform clients`` from selection to reports.
"""
