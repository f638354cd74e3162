"""Fuzz harnesses (Atheris, OSS-Fuzz layout) for every parser rtconform owns."""
