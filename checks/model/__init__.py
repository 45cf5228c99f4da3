"""The model: plain types every layer shares (targets, routes, requests, trust, requirements,
checks, verdicts, observations, secrets).

Layers, from the bottom up, each importing only those below it::

    model      types and the requirement graph; no I/O
    reasons    the reason codes verdicts carry
    probes     network I/O -> observations
    evaluate   observations -> verdicts, pure
    run        facts probed once, the plan that settles the graph
    connectors each connector's requirements and the observations it gathers
    engine     settings -> jobs -> results; scenario, report, plugin on top

A test walks the imports of every module and fails on a cycle.
"""
