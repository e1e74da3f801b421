"""The route tables of the HTTP functions. Entry points in ``functions/`` call ``API.handle``."""
