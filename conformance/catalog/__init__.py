"""Case catalogs, one package per spec (``ws``, later ``sse``, ``eio``, ``sio``).

Each catalog package lists its modules in ``MODULES``; the registry imports them in that order and
collects every :class:`conformance.model.Group` found at module level.
"""
