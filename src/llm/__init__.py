"""LLM providers behind one small interface (`LLMProvider`), chosen per component."""
