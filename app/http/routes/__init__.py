"""One module per endpoint family, each a ``router(service, auth)`` factory that ``create_app``
includes: a new endpoint goes beside its family, a new family in a module of its own."""
