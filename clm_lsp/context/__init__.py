"""Hierarchical context: anchor summaries (summaries.py), the faithfulness guard
(faithfulness.py), the prompts (prompts.py), and the compressed-context assembly.

May use ``clm_lsp.index`` and ``clm_lsp.llm``; never the server (no pygls here).
"""
