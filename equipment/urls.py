def register(router) -> None:
    """Adds this app's resources to the API router."""
