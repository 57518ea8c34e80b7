"""Tests of the incidents package."""
