"""Reports: pure functions of a RunResult (run.json, Autobahn index.json, JUnit XML, terminal summary)."""
