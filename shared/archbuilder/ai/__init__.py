"""AI behind one router: OpenAI and Gemini on Vertex, the built-in fallback, costs and budgets.

Importing this package imports no SDK: ``openai`` and ``google.genai`` are imported by
their provider modules, which the router loads only when a provider is configured.
"""
