"""Cross-cutting pieces: settings, logging, errors, i18n, HTTP routing."""
