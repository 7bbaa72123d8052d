"""What the benches share: processes they start, worlds they build, options they all take.

Nothing here is a bench itself; the modules that run as child processes of a bench are
started as ``python -m bench.support.<module> …`` from the repository root.
"""
