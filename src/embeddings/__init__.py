"""Embedding providers behind one small interface (`Embedder`)."""
