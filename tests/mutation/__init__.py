"""The "every conformance case can fail" proof and the clean-pass checks."""
