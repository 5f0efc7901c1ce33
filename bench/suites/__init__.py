"""Packaged benchmark suites (YAML); a package so that wheels ship them as package data."""
