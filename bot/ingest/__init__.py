"""Reading library files (loaders), cutting them into chunks (chunker), and the incremental
ingest run that writes them to the index (run)."""
