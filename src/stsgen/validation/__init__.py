"""The validation path: documents in, findings out (schemas, then rules)."""
