"""Tests of the crimes package."""
