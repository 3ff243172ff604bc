"""Stage 5, report: pure functions from results to text (console, JSON, JUnit XML, HTML).

Promise: no reporter does I/O; the command line and the pytest plugin write what they return.
"""
