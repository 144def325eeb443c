"""Rule logic, one module per family. Importing this package registers every rule.

Families are imported explicitly (no directory walking) so the catalogue order is stable.
"""

from govscan.checks import availability, links, domain  # noqa: F401
