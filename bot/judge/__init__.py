"""Judgement before retrieval: identifiers out, then what kind of message this is.

`identifiers` (spaCy's recogniser plus patterns), `triage` (the trained classifier, with `rules`
as a supplement), `build` and `evaluate` (the command that trains it and the figures it reaches),
`replies` (the fixed texts), `bank` (the labelled banks under eval/).
"""
