"""Wire shapes: the request, the response, problem details and the knowledge-base files."""
