"""Page routes, one module per area; each route is listed in ``chartfile.web.access.ROUTE_ROLES``."""
