"""iOPS: an open Integrated Operational Policing System."""

__version__ = "0.1.0"
