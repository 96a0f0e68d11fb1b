"""Model files: the catalog, pulling from the Hub or the PyPI mirror, local files and their hashes,
any GGUF repo on the Hub by name, a GGUF's own metadata, `orbench.lock`, and local quantization.

May import: the shared top-level modules (errors, paths, units, files, hub, llama). Nothing else of orbench.
"""
