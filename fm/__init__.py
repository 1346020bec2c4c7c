"""fm: facility management and infrastructure risk for Japanese municipalities.

One asset register (facilities and infrastructure) on SQLite or PostGIS, with a
CLI, a JSON API and a web app over the same service functions.
"""

__version__ = "0.1.0"
