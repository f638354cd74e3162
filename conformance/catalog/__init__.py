"""Case catalogs, one package per spec (``ws``, ``sse``, ``poll``).

Each catalog package exports its :class:`~conformance.suites.Suite` as ``SUITE`` (the context its cases
receive, URL schemes, probe, embedded reference server, cited document) and lists its case modules in
``MODULES``. :data:`conformance.registry.CATALOGS` lists the packages; the registry collects their
``SUITE``s and every :class:`conformance.model.Group` found at module level in their modules, in order.
"""
