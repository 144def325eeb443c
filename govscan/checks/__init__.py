"""Rule logic, one module per family. Importing this package registers every rule.

Families are imported explicitly (no directory walking) so the catalogue order is stable.
"""

from govscan.checks import availability, links, domain  # noqa: F401
from govscan.checks import tags, freshness  # noqa: F401,E402  (page tags; columns and freshness)
from govscan.checks import security, review, hosting  # noqa: F401,E402  (content security, review hints, hosting)
from govscan.checks import identity, interpretation, interaction  # noqa: F401,E402  (footer identity; 解读; interaction and services)
