"""Policy tooling around the engine: YAML test cases, diffs in plain words, editor schemas, scaffolding."""
