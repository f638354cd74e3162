"""Sans-IO protocol cores of the rtconform reference servers, containing no networking code at all.

Everything here consumes bytes and produces events and bytes. Nothing here opens a socket, starts a task,
spawns a thread or reads a clock: time arrives as ``now`` arguments and leaves as deadlines.
``tests/test_layering.py`` enforces this.
"""
