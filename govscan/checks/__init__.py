"""Rule logic, one module per family. Importing this package registers every rule.

Families are imported explicitly (no directory walking) in the order of the catalogue
(SPEC §5), which is the order `govscan rules` prints.
"""

from govscan.checks import availability, links, domain  # noqa: F401  (reachability, links, domain)
from govscan.checks import identity, tags, freshness  # noqa: F401  (footer identity; page tags; columns)
from govscan.checks import interpretation, interaction  # noqa: F401  (解读; interaction and services)
from govscan.checks import security, review, hosting  # noqa: F401  (content security, review hints, hosting)
