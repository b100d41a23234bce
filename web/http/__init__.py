"""The web plumbing every feature shares: headers, CSRF, limits, errors, templates, assets."""
